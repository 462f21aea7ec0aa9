/// Hands `bytes` to `body` in consecutive pieces of the given lengths (cycled), as network reads
/// would cut them.
public func forEachPiece(
    of bytes: UnsafeRawBufferPointer,
    cutEvery lengths: [Int],
    _ body: (UnsafeRawBufferPointer) throws -> Void
) rethrows {
    var start = 0
    var turn = 0
    while start < bytes.count {
        let end = min(bytes.count, start + max(1, lengths[turn % lengths.count]))
        try body(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
        start = end
        turn += 1
    }
}

/// Piece lengths 1...16 taken from the input's first bytes, so the fuzzer explores where reads
/// cut too.
public func pieceLengths(from bytes: UnsafeRawBufferPointer) -> [Int] {
    let lengths = bytes.prefix(8).map { Int($0 % 16) + 1 }
    return lengths.isEmpty ? [3] : lengths
}

/// What a parser made of its input, as text to compare between feedings: the parts noted in
/// order, with the body bytes between two of them joined into one entry, however many pieces
/// they came in.
public struct PartsLog: Equatable, CustomStringConvertible {
    public private(set) var parts: [String] = []
    private var body: [UInt8] = []

    public init() {}

    public mutating func note(_ part: String) {
        flushBody()
        parts.append(part)
    }

    public mutating func noteBody(_ bytes: some Sequence<UInt8>) {
        body += bytes
    }

    public mutating func flushBody() {
        if !body.isEmpty { parts.append("body \(body)") }
        body = []
    }

    public var description: String { parts.description }
}
