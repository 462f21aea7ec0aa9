// The RESP2 parser of the Redis client, reading replies from the wire.
//
// Small limits, so the fuzzer reaches them. Every input is read value by value until it ends or
// is refused; then:
// - a prefix of the input never gives a different answer: it is incomplete (nil), the same
//   value, or the same error, as Redis's bytes arrive in any cut;
// - every value read, written back as RESP, reads back as the same value.
import FuzzedRESP
import NIOCore

private let parser: RESPParser = {
    var limits = RESPParser.Limits()
    limits.maxLineLength = 64
    limits.maxBulkLength = 256
    limits.maxArrayCount = 64
    limits.maxDepth = 8
    return RESPParser(limits: limits)
}()

private enum Outcome: Equatable {
    case value(RESPValue, consumed: Int)
    case incomplete
    case refused(RESPDecodingError)
}

/// Values read within the small limits, written back, can be longer (invalid UTF-8 in a simple
/// string comes back repaired): they are read back without limits that small.
private let roundTripParser = RESPParser()

private func outcome(of bytes: ArraySlice<UInt8>, parser: RESPParser = parser) -> Outcome {
    var buffer = ByteBuffer(bytes: bytes)
    let before = buffer.readableBytes
    do {
        guard let value = try parser.parse(&buffer) else {
            if buffer.readableBytes != before { fatalError("FuzzRESPParser: an incomplete value consumed bytes") }
            return .incomplete
        }
        return .value(value, consumed: before - buffer.readableBytes)
    } catch {
        return .refused(error)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRESPParser(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var start = 0
    while start < bytes.count {
        let whole = outcome(of: bytes[start...])
        checkPrefixes(of: bytes[start...], against: whole)
        guard case .value(let value, let consumed) = whole else { break }
        checkRoundTrip(value)
        start += consumed
    }
    return 0
}

private func checkPrefixes(of bytes: ArraySlice<UInt8>, against whole: Outcome) {
    let limit: Int
    if case .value(_, let consumed) = whole { limit = consumed } else { limit = bytes.count }
    // Every cut of a short value; a handful of cuts of a long one.
    let step = max(1, limit / 16)
    for cut in stride(from: 0, to: limit, by: step) {
        let part = outcome(of: bytes.prefix(cut))
        switch (part, whole) {
        case (.incomplete, _):
            continue
        case (.refused(let early), .refused(let late)) where early == late:
            continue
        default:
            fatalError("FuzzRESPParser: the first \(cut) bytes give \(part), all \(bytes.count) give \(whole)")
        }
    }
}

private func checkRoundTrip(_ value: RESPValue) {
    var encoded = ByteBuffer()
    encode(value, into: &encoded)
    let again = outcome(of: ArraySlice(encoded.readableBytesView), parser: roundTripParser)
    guard again == .value(value, consumed: encoded.readableBytes) else {
        fatalError("FuzzRESPParser: \(value) written back reads as \(again)")
    }
}

private func encode(_ value: RESPValue, into buffer: inout ByteBuffer) {
    switch value {
    case .simpleString(let text): buffer.writeString("+\(text)\r\n")
    case .error(let text): buffer.writeString("-\(text)\r\n")
    case .integer(let number): buffer.writeString(":\(number)\r\n")
    case .null: buffer.writeString("$-1\r\n")
    case .bulkString(var bytes):
        buffer.writeString("$\(bytes.readableBytes)\r\n")
        buffer.writeBuffer(&bytes)
        buffer.writeString("\r\n")
    case .array(let elements):
        buffer.writeString("*\(elements.count)\r\n")
        for element in elements { encode(element, into: &buffer) }
    }
}
