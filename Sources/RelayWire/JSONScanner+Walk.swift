/// A key of an object being walked: its bytes between the quotes, compared as they stand, or
/// decoded when it holds an escape or a non-ASCII byte (so `"mod\u0065l"` is still `model`).
struct JSONKey {
    let raw: Range<Int>
    let decoded: String?
    /// `false` when the key is not UTF-8: the walk goes on, and the caller decides whether that
    /// fails the object (as `JSONScanner.object` fails it for its own members' keys).
    let isUTF8: Bool
}

extension JSONScanner {
    /// Walks the object at the current index member by member, checking its syntax, without
    /// collecting anything: `visit` gets each key with the scanner at the member's value and must
    /// move past that value (`skipValue`, or a walk of its own). `depth` is the nesting level the
    /// object sits at. Allocates nothing unless a key needs decoding.
    mutating func walkObject(
        depth: Int,
        _ visit: (inout JSONScanner, JSONKey) throws(JSONScanError) -> Void
    ) throws(JSONScanError) {
        guard try enter(UInt8(ascii: "{"), closedBy: UInt8(ascii: "}"), depth: depth) else { return }
        repeat {
            skipWhitespace()
            let key = try readKey()
            skipWhitespace()
            guard next() == UInt8(ascii: ":") else { throw .unexpectedByte }
            skipWhitespace()
            try visit(&self, key)
        } while try moreFollow(closedBy: UInt8(ascii: "}"))
    }

    /// Walks the array at the current index element by element, as `walkObject` walks members:
    /// `visit` gets each element's position (0, 1, ...) with the scanner at the element.
    mutating func walkArray(
        depth: Int,
        _ visit: (inout JSONScanner, Int) throws(JSONScanError) -> Void
    ) throws(JSONScanError) {
        guard try enter(UInt8(ascii: "["), closedBy: UInt8(ascii: "]"), depth: depth) else { return }
        var position = 0
        repeat {
            skipWhitespace()
            try visit(&self, position)
            position += 1
        } while try moreFollow(closedBy: UInt8(ascii: "]"))
    }

    /// Steps into the container at the current index: `false` when it is empty (stepped over).
    private mutating func enter(_ opener: UInt8, closedBy closer: UInt8, depth: Int) throws(JSONScanError) -> Bool {
        guard depth < maxDepth else { throw .tooDeep }
        guard next() == opener else { throw .unexpectedByte }
        skipWhitespace()
        guard peek() == closer else { return true }
        index += 1
        return false
    }

    /// After a member or element: `true` past a comma, `false` past the container's end.
    private mutating func moreFollow(closedBy closer: UInt8) throws(JSONScanError) -> Bool {
        skipWhitespace()
        switch next() {
        case UInt8(ascii: ","): return true
        case closer: return false
        default: throw .unexpectedByte
        }
    }

    /// Whether `key` is `name` (ASCII without escapes, as every key Relay looks for is).
    func key(_ key: JSONKey, is name: StaticString) -> Bool {
        name.withUTF8Buffer { expected in
            if let decoded = key.decoded { return decoded.utf8.elementsEqual(expected) }
            return bytes.bytes(in: key.raw, equal: expected)
        }
    }

    mutating func readKey() throws(JSONScanError) -> JSONKey {
        let start = index
        try skipString()
        let raw = (start + 1)..<(index - 1)
        let plain = bytes[raw].allSatisfy { $0 < 0x80 && $0 != UInt8(ascii: "\\") }
        if plain { return JSONKey(raw: raw, decoded: nil, isUTF8: true) }
        // The string's escapes were checked while skipping it: only invalid UTF-8 is left to fail.
        let decoded = try? JSONString.decode(ArraySlice(bytes[raw]))
        return JSONKey(raw: raw, decoded: decoded, isUTF8: decoded != nil)
    }
}
