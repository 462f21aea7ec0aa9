/// One `"key": value` pair of a JSON object, by position.
package struct JSONMember: Sendable, Equatable {
    /// The key, decoded, when its bytes hold an escape or a non-ASCII byte; `nil` for the plain
    /// keys nearly every body has, which are compared as the bytes they are (no string is made
    /// for them: `JSONObject.key(of:)` makes one on demand).
    let decodedKey: String?
    /// With the quotes.
    package var keyRange: Range<Int>
    package var valueRange: Range<Int>
}

/// The top-level members of a JSON object, with typed access to their values.
package struct JSONObject: Sendable {
    package let bytes: [UInt8]
    package let members: [JSONMember]

    package func member(_ key: String) -> JSONMember? {
        members.first { self.member($0, hasKey: key) }
    }

    /// The key of `member`, decoded.
    package func key(of member: JSONMember) -> String {
        member.decodedKey ?? String(decoding: bytes[Self.unquoted(member.keyRange)], as: UTF8.self)
    }

    /// Whether `member`'s key is `key`, compared without making a string of it.
    package func member(_ member: JSONMember, hasKey key: String) -> Bool {
        if let decoded = member.decodedKey { return decoded == key }
        let raw = Self.unquoted(member.keyRange)
        guard raw.count == key.utf8.count else { return false }  // most keys differ in length alone
        return key.utf8.withContiguousStorageIfAvailable { bytes.bytes(in: raw, equal: $0) }
            ?? key.utf8.elementsEqual(bytes[raw])
    }

    private static func unquoted(_ range: Range<Int>) -> Range<Int> {
        (range.lowerBound + 1)..<(range.upperBound - 1)
    }

    /// The kind of the value in `range`, from its first byte.
    package func kind(of range: Range<Int>) -> JSONKind {
        JSONKind(firstByte: bytes[range.lowerBound])
    }

    package func string(_ key: String) -> String? {
        guard let member = member(key), kind(of: member.valueRange) == .string else { return nil }
        return try? JSONString.decode(bytes[(member.valueRange.lowerBound + 1)..<(member.valueRange.upperBound - 1)])
    }

    package func bool(_ key: String) -> Bool? {
        guard let member = member(key) else { return nil }
        switch kind(of: member.valueRange) {
        case .true: return true
        case .false: return false
        default: return nil
        }
    }

    /// An integer value; `nil` when absent, not a number, or not a whole number.
    package func int(_ key: String) -> Int? {
        member(key).flatMap(int(of:))
    }

    /// `member`'s value as an integer; `nil` when it is not a number, or not a whole number.
    package func int(of member: JSONMember) -> Int? {
        guard kind(of: member.valueRange) == .number else { return nil }
        return Self.wholeNumber(bytes[member.valueRange])
    }

    /// What `Int(String(decoding: text, as: UTF8.self))` gives, read from the bytes: a sign,
    /// then digits only, within `Int`'s range.
    static func wholeNumber(_ text: ArraySlice<UInt8>) -> Int? {
        var digits = text[...]
        let negative = digits.first == UInt8(ascii: "-")
        if negative || digits.first == UInt8(ascii: "+") { digits = digits.dropFirst() }
        guard !digits.isEmpty else { return nil }
        var value = 0
        for byte in digits {
            guard byte &- UInt8(ascii: "0") < 10 else { return nil }
            let digit = Int(byte &- UInt8(ascii: "0"))
            // Summed negative for a negative number, so that `Int.min` reads too.
            let (times10, overflowed) = value.multipliedReportingOverflow(by: 10)
            let (next, overflowedAgain) =
                negative ? times10.subtractingReportingOverflow(digit) : times10.addingReportingOverflow(digit)
            guard !overflowed, !overflowedAgain else { return nil }
            value = next
        }
        return value
    }

    /// The members of a nested object value.
    package func object(_ key: String) -> JSONObject? {
        guard let member = member(key), kind(of: member.valueRange) == .object else { return nil }
        return try? JSONScanner.object(in: bytes, range: member.valueRange)
    }

    /// The element ranges of a nested array value.
    package func array(_ key: String) -> [Range<Int>]? {
        guard let member = member(key), kind(of: member.valueRange) == .array else { return nil }
        return try? JSONScanner.arrayElements(in: bytes, range: member.valueRange)
    }

    /// Appends the text the object was read from (`bytes`, whole: a top-level object) to `out`
    /// as it came, except the value of every `key` member (a duplicate too), which is `value`
    /// instead: spliced, nothing else rewritten.
    package func append(replacingValuesOf key: String, with value: [UInt8], to out: inout [UInt8]) {
        var values = SpliceRanges()
        for member in members where self.member(member, hasKey: key) { values.append(member.valueRange) }
        out.reserveCapacity(out.count + bytes.count + value.count)
        values.splice(bytes, replacingWith: value, into: &out)
    }
}

package enum JSONKind: Sendable, Equatable {
    case object, array, string, number, `true`, `false`, null

    init(firstByte: UInt8) {
        switch firstByte {
        case UInt8(ascii: "{"): self = .object
        case UInt8(ascii: "["): self = .array
        case UInt8(ascii: "\""): self = .string
        case UInt8(ascii: "t"): self = .true
        case UInt8(ascii: "f"): self = .false
        case UInt8(ascii: "n"): self = .null
        default: self = .number
        }
    }
}
