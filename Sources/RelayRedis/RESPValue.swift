import NIOCore

/// One RESP2 value, as Redis sends it.
///
/// Redis's null bulk string (`$-1`) and null array (`*-1`) both decode to `.null`: callers never
/// need to tell them apart.
///
/// ```swift
/// let reply = try await client.send(["INCR", "visits"])
/// if case .integer(let visits) = reply { print(visits) }
/// ```
public enum RESPValue: Sendable, Equatable {
    case simpleString(String)
    /// An error reply (`-ERR ...`) nested inside an array; a top-level one is thrown by the client.
    case error(String)
    case integer(Int64)
    case bulkString(ByteBuffer)
    case null
    case array([RESPValue])
}

extension RESPValue {
    /// The value as text: simple and bulk strings, and integers in decimal.
    public var string: String? {
        switch self {
        case .simpleString(let text): text
        case .bulkString(let bytes): String(buffer: bytes)
        case .integer(let number): String(number)
        default: nil
        }
    }

    /// The value as a number: integers, and strings holding a decimal integer.
    public var integer: Int64? {
        switch self {
        case .integer(let number): number
        case .simpleString(let text): Int64(text)
        case .bulkString(let bytes): Int64(String(buffer: bytes))
        default: nil
        }
    }

    public var array: [RESPValue]? {
        if case .array(let values) = self { return values }
        return nil
    }
}

extension RESPValue {
    /// The value of one whole reply, as `RESPDecoder` hands replies on.
    public init(reply: ByteBuffer) throws(RESPDecodingError) {
        var bytes = reply
        // A reply holds one whole value: it cannot end early, and an empty one is none.
        guard let value = try RESPParser().parse(&bytes) else { throw .missingTerminator }
        self = value
    }
}
