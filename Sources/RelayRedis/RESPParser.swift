import NIOCore

/// Reads whole RESP2 values from the front of a buffer, within fixed size limits.
///
/// A value split across reads is not an error: `parse` answers `nil` and leaves the buffer
/// untouched, and the caller tries again once more bytes arrived. Nothing is trusted from the
/// wire: lengths are checked against the limits before anything is allocated.
///
/// ```swift
/// var parser = RESPParser()
/// var bytes = ByteBuffer(string: "*2\r\n:1\r\n$-1\r\n")
/// let value = try parser.parse(&bytes)  // .array([.integer(1), .null])
/// ```
public struct RESPParser: Sendable {
    public struct Limits: Sendable {
        /// Longest simple string, error or number line, without its `\r\n`.
        public var maxLineLength: Int = 64 * 1024
        /// Largest bulk string, in bytes.
        public var maxBulkLength: Int = 64 * 1024 * 1024
        /// Most elements in one array.
        public var maxArrayCount: Int = 1024 * 1024
        /// Deepest array nesting.
        public var maxDepth: Int = 32

        public init() {}
    }

    public var limits: Limits

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// One whole value from the front of `buffer`, consumed; `nil` (nothing consumed) when the
    /// buffer ends before the value does.
    public func parse(_ buffer: inout ByteBuffer) throws(RESPDecodingError) -> RESPValue? {
        var cursor = buffer
        guard let value = try parseValue(&cursor, depth: 0) else { return nil }
        buffer = cursor
        return value
    }

    private func parseValue(_ buffer: inout ByteBuffer, depth: Int) throws(RESPDecodingError) -> RESPValue? {
        guard let marker = buffer.readInteger(as: UInt8.self) else { return nil }
        switch marker {
        case UInt8(ascii: "+"):
            return try readLine(&buffer).map { .simpleString(String(buffer: $0)) }
        case UInt8(ascii: "-"):
            return try readLine(&buffer).map { .error(String(buffer: $0)) }
        case UInt8(ascii: ":"):
            guard let line = try readLine(&buffer) else { return nil }
            return .integer(try Self.number(line))
        case UInt8(ascii: "$"):
            return try readBulkString(&buffer)
        case UInt8(ascii: "*"):
            return try readArray(&buffer, depth: depth)
        default:
            throw .unknownType(marker)
        }
    }

    private func readBulkString(_ buffer: inout ByteBuffer) throws(RESPDecodingError) -> RESPValue? {
        guard let line = try readLine(&buffer) else { return nil }
        let length = try Self.number(line)
        if length == -1 { return .null }
        guard length >= 0 else { throw .invalidNumber }
        guard length <= limits.maxBulkLength else { throw .tooLarge }
        let count = Int(length)
        guard buffer.readableBytes >= count + 2 else { return nil }
        guard let bytes = buffer.readSlice(length: count) else { return nil }
        guard buffer.readInteger(as: UInt16.self) == Self.crlf else { throw .missingTerminator }
        return .bulkString(bytes)
    }

    private func readArray(_ buffer: inout ByteBuffer, depth: Int) throws(RESPDecodingError) -> RESPValue? {
        guard depth < limits.maxDepth else { throw .tooDeeplyNested }
        guard let line = try readLine(&buffer) else { return nil }
        let count = try Self.number(line)
        if count == -1 { return .null }
        guard count >= 0 else { throw .invalidNumber }
        guard count <= limits.maxArrayCount else { throw .tooLarge }
        // Every element takes at least three bytes (`:0\r\n` is four), so a count far past what
        // has arrived is not allocated for up front.
        var elements: [RESPValue] = []
        elements.reserveCapacity(min(Int(count), buffer.readableBytes / 3))
        for _ in 0..<count {
            guard let element = try parseValue(&buffer, depth: depth + 1) else { return nil }
            elements.append(element)
        }
        return .array(elements)
    }

    /// The bytes up to the next `\r\n`, consumed with it; `nil` when it has not arrived yet.
    private func readLine(_ buffer: inout ByteBuffer) throws(RESPDecodingError) -> ByteBuffer? {
        let view = buffer.readableBytesView
        let searched = view.prefix(limits.maxLineLength + 2)
        guard let carriageReturn = searched.firstIndex(of: UInt8(ascii: "\r")) else {
            if searched.count == limits.maxLineLength + 2 { throw .tooLarge }
            return nil
        }
        let length = carriageReturn - view.startIndex
        guard buffer.readableBytes >= length + 2 else { return nil }
        guard let line = buffer.readSlice(length: length) else { return nil }
        guard buffer.readInteger(as: UInt16.self) == Self.crlf else { throw .missingTerminator }
        return line
    }

    private static let crlf = UInt16(UInt8(ascii: "\r")) << 8 | UInt16(UInt8(ascii: "\n"))

    private static func number(_ line: ByteBuffer) throws(RESPDecodingError) -> Int64 {
        guard line.readableBytes <= 20, let value = Int64(String(buffer: line)) else { throw .invalidNumber }
        return value
    }
}
