/// A byte-level JSON reader that finds values without decoding the whole document.
///
/// Relay reads only the few fields it needs (`model`, `stream`, `max_tokens`, `usage`, ...) and
/// passes everything else through byte for byte, so it needs value *positions*, not a tree.
/// Nesting is tracked with an explicit stack bounded by `maxDepth`, so a deeply nested body
/// costs a clear error instead of a stack overflow.
///
/// ```swift
/// let object = try JSONScanner.object(in: bytes)
/// if let model = object.member("model") { print(model.value) }
/// ```
package struct JSONScanner {
    package static let defaultMaxDepth = 128

    /// Read through a pointer, without a bounds check per byte: every read is behind a check of
    /// `index` against `end`, which is within the bytes (`scan`), and they are valid while the
    /// scan lasts.
    package let bytes: UnsafeBufferPointer<UInt8>
    var index: Int
    let end: Int
    let maxDepth: Int

    private init(bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>, maxDepth: Int) {
        self.bytes = bytes
        self.index = range.lowerBound
        self.end = range.upperBound
        self.maxDepth = maxDepth
    }

    /// `body`'s result, with a scanner at the start of `range` of `bytes`.
    static func scan<Result>(
        _ bytes: [UInt8],
        range: Range<Int>,
        maxDepth: Int = JSONScanner.defaultMaxDepth,
        _ body: (inout JSONScanner) throws(JSONScanError) -> Result
    ) throws(JSONScanError) -> Result {
        precondition(range.lowerBound >= 0 && range.upperBound <= bytes.count, "a range outside the bytes")
        return try bytes.withUnsafeBufferPointer { buffer throws(JSONScanError) in
            var scanner = JSONScanner(bytes: buffer, range: range, maxDepth: maxDepth)
            return try body(&scanner)
        }
    }

    /// The members of the JSON object that `range` of `bytes` holds (all of `bytes` by default),
    /// after checking that the whole range is one well-formed JSON object.
    package static func object(
        in bytes: [UInt8],
        range: Range<Int>? = nil,
        maxDepth: Int = JSONScanner.defaultMaxDepth
    ) throws(JSONScanError) -> JSONObject {
        let members = try scan(bytes, range: range ?? 0..<bytes.count, maxDepth: maxDepth) {
            scanner throws(JSONScanError) in
            scanner.skipWhitespace()
            guard scanner.peek() == UInt8(ascii: "{") else { throw .notAnObject }
            let members = try scanner.readObjectMembers()
            scanner.skipWhitespace()
            guard scanner.index == scanner.end else { throw .trailingBytes }
            return members
        }
        return JSONObject(bytes: bytes, members: members)
    }

    /// The element ranges of the JSON array at `range`.
    package static func arrayElements(
        in bytes: [UInt8],
        range: Range<Int>,
        maxDepth: Int = JSONScanner.defaultMaxDepth
    ) throws(JSONScanError) -> [Range<Int>] {
        try scan(bytes, range: range, maxDepth: maxDepth) { scanner throws(JSONScanError) in
            scanner.skipWhitespace()
            guard scanner.peek() == UInt8(ascii: "[") else { throw .unexpectedByte }
            scanner.index += 1
            var elements: [Range<Int>] = []
            scanner.skipWhitespace()
            if scanner.peek() == UInt8(ascii: "]") { return elements }
            while true {
                scanner.skipWhitespace()
                let start = scanner.index
                try scanner.skipValue(depth: 1)
                elements.append(start..<scanner.index)
                scanner.skipWhitespace()
                switch scanner.next() {
                case UInt8(ascii: ","): continue
                case UInt8(ascii: "]"): return elements
                default: throw .unexpectedByte
                }
            }
        }
    }

    // MARK: Objects

    /// Reads `{ ... }` at the current index and returns its top-level members.
    mutating func readObjectMembers() throws(JSONScanError) -> [JSONMember] {
        guard next() == UInt8(ascii: "{") else { throw .unexpectedByte }
        var members: [JSONMember] = []
        members.reserveCapacity(8)  // an answer's or a request's members, without growing the array
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            return members
        }
        while true {
            skipWhitespace()
            let key = try readKey()
            guard key.isUTF8 else { throw .invalidUTF8 }
            skipWhitespace()
            guard next() == UInt8(ascii: ":") else { throw .unexpectedByte }
            skipWhitespace()
            let valueStart = index
            try skipValue(depth: 1)
            members.append(
                JSONMember(
                    decodedKey: key.decoded, keyRange: (key.raw.lowerBound - 1)..<(key.raw.upperBound + 1),
                    valueRange: valueStart..<index))
            skipWhitespace()
            switch next() {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "}"): return members
            default: throw .unexpectedByte
            }
        }
    }

    // MARK: Values

    /// Skips one value of any kind, checking its syntax. `depth` is the nesting level the value sits at.
    mutating func skipValue(depth: Int) throws(JSONScanError) {
        // Open containers, innermost last. Iterative so input can't exhaust the stack.
        var open = OpenContainers()
        while true {
            // Expecting a value.
            skipWhitespace()
            guard let byte = peek() else { throw .unexpectedEnd }
            var closedImmediately = false
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard depth + open.count < maxDepth else { throw .tooDeep }
                index += 1
                open.push(isObject: byte == UInt8(ascii: "{"))
                skipWhitespace()
                let closer = byte == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
                if peek() == closer {
                    index += 1
                    open.pop()
                    closedImmediately = true
                } else if byte == UInt8(ascii: "{") {
                    try skipKeyAndColon()
                    continue
                } else {
                    continue
                }
            case UInt8(ascii: "\""):
                try skipString()
            case UInt8(ascii: "t"):
                try expectLiteral("true")
            case UInt8(ascii: "f"):
                try expectLiteral("false")
            case UInt8(ascii: "n"):
                try expectLiteral("null")
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                try skipNumber()
            default:
                throw .unexpectedByte
            }
            _ = closedImmediately
            // After a value: close containers or move to the next element.
            while true {
                guard let inObject = open.innermostIsObject else { return }
                skipWhitespace()
                switch next() {
                case UInt8(ascii: ","):
                    if inObject { try skipKeyAndColon() }
                case UInt8(ascii: "}") where inObject, UInt8(ascii: "]") where !inObject:
                    open.pop()
                    continue
                case nil:
                    throw .unexpectedEnd
                default:
                    throw .unexpectedByte
                }
                break
            }
        }
    }

    private mutating func skipKeyAndColon() throws(JSONScanError) {
        skipWhitespace()
        try skipString()
        skipWhitespace()
        guard next() == UInt8(ascii: ":") else { throw .unexpectedByte }
    }

    mutating func skipString() throws(JSONScanError) {
        guard next() == UInt8(ascii: "\"") else { throw .unexpectedByte }
        while index < end {
            index = plainRunEnd(from: index)
            guard index < end else { break }
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return
            case UInt8(ascii: "\\"):
                guard index < end else { throw .unexpectedEnd }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    break
                case UInt8(ascii: "u"):
                    guard end - index >= 4, bytes[index..<(index + 4)].allSatisfy(\.isHexDigit) else {
                        throw .invalidEscape
                    }
                    index += 4
                default:
                    throw .invalidEscape
                }
            case 0..<0x20:
                throw .controlCharacterInString
            default:
                break
            }
        }
        throw .unexpectedEnd
    }

    /// Where the bytes from `start` that need no look (no quote, backslash or control byte) end:
    /// most of a string, read eight bytes at a time.
    private func plainRunEnd(from start: Int) -> Int {
        JSONSpecialBytes.first(in: bytes, from: start, to: end)
    }

    private mutating func skipNumber() throws(JSONScanError) {
        let start = index
        while index < end {
            switch bytes[index] {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."),
                UInt8(ascii: "e"), UInt8(ascii: "E"):
                index += 1
            default:
                guard index > start else { throw .unexpectedByte }
                return
            }
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONScanError) {
        let count = literal.utf8CodeUnitCount
        guard end - index >= count else { throw .unexpectedEnd }
        let matches = literal.withUTF8Buffer { expected in
            expected.indices.allSatisfy { bytes[index + $0] == expected[$0] }
        }
        guard matches else { throw .unexpectedByte }
        index += count
    }

    // MARK: Bytes

    mutating func skipWhitespace() {
        while index < end {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): index += 1
            default: return
            }
        }
    }

    func peek() -> UInt8? { index < end ? bytes[index] : nil }

    package mutating func next() -> UInt8? {
        guard index < end else { return nil }
        defer { index += 1 }
        return bytes[index]
    }
}

/// The containers open around the value being skipped, a bit each (set for an object): in one
/// word up to 64 levels deep, so skipping a value allocates nothing, and in an array past that.
private struct OpenContainers {
    private var inWord: UInt64 = 0
    /// `nil` until a 65th level opens: an empty array would still be released at every skip.
    private var deeper: [Bool]?
    private(set) var count = 0

    mutating func push(isObject: Bool) {
        if count < 64 {
            inWord = isObject ? inWord | (1 << count) : inWord & ~(1 << count)
        } else {
            if deeper == nil { deeper = [] }
            deeper?.append(isObject)
        }
        count += 1
    }

    mutating func pop() {
        count -= 1
        if count >= 64 { deeper?.removeLast() }
    }

    /// `nil` when none is open.
    var innermostIsObject: Bool? {
        guard count > 0 else { return nil }
        return count <= 64 ? inWord & (1 << (count - 1)) != 0 : deeper?.last == true
    }
}

package enum JSONScanError: Error, Equatable {
    case notAnObject
    case unexpectedByte
    case unexpectedEnd
    case trailingBytes
    case tooDeep
    case controlCharacterInString
    case invalidEscape
    case invalidUTF8

    /// Said to the client in a 400.
    package var message: String {
        switch self {
        case .notAnObject: "the body must be a JSON object"
        case .unexpectedByte, .unexpectedEnd, .trailingBytes: "the body is not valid JSON"
        case .tooDeep: "the body is nested too deeply"
        case .controlCharacterInString: "the body is not valid JSON: control character in a string"
        case .invalidEscape: "the body is not valid JSON: invalid escape in a string"
        case .invalidUTF8: "the body is not valid UTF-8"
        }
    }
}

extension UInt8 {
    fileprivate var isHexDigit: Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(self)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(self)
    }
}
