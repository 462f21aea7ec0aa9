/// Why bytes from Redis could not be read as RESP: the connection is closed after any of these,
/// because the reply stream can no longer be matched to its commands.
public enum RESPDecodingError: Error, Sendable, Equatable {
    /// A value started with a byte that is no RESP2 type marker.
    case unknownType(UInt8)
    /// A length or integer was not a decimal number.
    case invalidNumber
    /// A line or bulk string did not end in `\r\n`.
    case missingTerminator
    /// A line, bulk string or array is larger than the decoder's limits allow.
    case tooLarge
    /// Arrays nested deeper than the decoder's limit.
    case tooDeeplyNested
}
