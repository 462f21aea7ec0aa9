/// One `"key": value` pair of a JSON object, by position.
public struct JSONMember: Sendable, Equatable {
    public var key: String
    public var keyRange: Range<Int>
    public var valueRange: Range<Int>
}

/// The top-level members of a JSON object, with typed access to their values.
public struct JSONObject: Sendable {
    public let bytes: [UInt8]
    public let members: [JSONMember]

    public func member(_ key: String) -> JSONMember? {
        members.first { $0.key == key }
    }

    /// The kind of the value in `range`, from its first byte.
    public func kind(of range: Range<Int>) -> JSONKind {
        JSONKind(firstByte: bytes[range.lowerBound])
    }

    public func string(_ key: String) -> String? {
        guard let member = member(key), kind(of: member.valueRange) == .string else { return nil }
        return try? JSONString.decode(bytes[(member.valueRange.lowerBound + 1)..<(member.valueRange.upperBound - 1)])
    }

    public func bool(_ key: String) -> Bool? {
        guard let member = member(key) else { return nil }
        switch kind(of: member.valueRange) {
        case .true: return true
        case .false: return false
        default: return nil
        }
    }

    /// An integer value; `nil` when absent, not a number, or not a whole number.
    public func int(_ key: String) -> Int? {
        guard let member = member(key), kind(of: member.valueRange) == .number else { return nil }
        return Int(String(decoding: bytes[member.valueRange], as: UTF8.self))
    }

    /// The members of a nested object value.
    public func object(_ key: String) -> JSONObject? {
        guard let member = member(key), kind(of: member.valueRange) == .object else { return nil }
        return try? JSONScanner.object(in: bytes, range: member.valueRange)
    }

    /// The element ranges of a nested array value.
    public func array(_ key: String) -> [Range<Int>]? {
        guard let member = member(key), kind(of: member.valueRange) == .array else { return nil }
        return try? JSONScanner.arrayElements(in: bytes, range: member.valueRange)
    }

    /// Appends the text the object was read from (`bytes`, whole: a top-level object) to `out`
    /// as it came, except the value of every `key` member (a duplicate too), which is `value`
    /// instead: spliced, nothing else rewritten.
    func append(replacingValuesOf key: String, with value: [UInt8], to out: inout [UInt8]) {
        var values = SpliceRanges()
        for member in members where member.key == key { values.append(member.valueRange) }
        out.reserveCapacity(out.count + bytes.count + value.count)
        values.splice(bytes, replacingWith: value, into: &out)
    }
}

public enum JSONKind: Sendable, Equatable {
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
