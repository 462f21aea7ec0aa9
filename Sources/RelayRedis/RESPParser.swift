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

    /// How many bytes the whole value at the front of `buffer` takes, checked as `parse` checks
    /// it (the same errors for the same bytes) but without building it; `nil` when the buffer
    /// ends before the value does.
    public func length(ofValueIn buffer: ByteBuffer) throws(RESPDecodingError) -> Int? {
        var cursor = buffer
        guard try skipValue(&cursor, depth: 0) else { return nil }
        return buffer.readableBytes - cursor.readableBytes
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
            return try readBulkString(&buffer).map { $0.map(RESPValue.bulkString) ?? .null }
        case UInt8(ascii: "*"):
            return try readArray(&buffer, depth: depth)
        default:
            throw .unknownType(marker)
        }
    }

    /// `parseValue` without the value: `true` once the whole value was consumed.
    private func skipValue(_ buffer: inout ByteBuffer, depth: Int) throws(RESPDecodingError) -> Bool {
        guard let marker = buffer.readInteger(as: UInt8.self) else { return false }
        switch marker {
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            return try readLine(&buffer) != nil
        case UInt8(ascii: ":"):
            guard let line = try readLine(&buffer) else { return false }
            _ = try Self.number(line)
            return true
        case UInt8(ascii: "$"):
            return try readBulkString(&buffer) != nil
        case UInt8(ascii: "*"):
            guard let count = try readCount(&buffer, depth: depth) else { return false }
            for _ in 0..<max(0, count) {
                guard try skipValue(&buffer, depth: depth + 1) else { return false }
            }
            return true
        default:
            throw .unknownType(marker)
        }
    }

    /// A bulk string's bytes, or `.some(nil)` for the null bulk string; `nil` when it has not
    /// all arrived.
    private func readBulkString(_ buffer: inout ByteBuffer) throws(RESPDecodingError) -> ByteBuffer?? {
        guard let line = try readLine(&buffer) else { return nil }
        let length = try Self.number(line)
        if length == -1 { return .some(nil) }
        guard length >= 0 else { throw .invalidNumber }
        guard length <= limits.maxBulkLength else { throw .tooLarge }
        let count = Int(length)
        guard buffer.readableBytes >= count + 2 else { return nil }
        guard let bytes = buffer.readSlice(length: count) else { return nil }
        guard buffer.readInteger(as: UInt16.self) == Self.crlf else { throw .missingTerminator }
        return bytes
    }

    /// An array's element count, -1 for the null array; `nil` when its line has not arrived.
    private func readCount(_ buffer: inout ByteBuffer, depth: Int) throws(RESPDecodingError) -> Int? {
        guard depth < limits.maxDepth else { throw .tooDeeplyNested }
        guard let line = try readLine(&buffer) else { return nil }
        let count = try Self.number(line)
        if count == -1 { return -1 }
        guard count >= 0 else { throw .invalidNumber }
        guard count <= limits.maxArrayCount else { throw .tooLarge }
        return Int(count)
    }

    private func readArray(_ buffer: inout ByteBuffer, depth: Int) throws(RESPDecodingError) -> RESPValue? {
        guard let count = try readCount(&buffer, depth: depth) else { return nil }
        if count == -1 { return .null }
        // Every element takes at least three bytes (`:0\r\n` is four), so a count far past what
        // has arrived is not allocated for up front.
        var elements: [RESPValue] = []
        elements.reserveCapacity(min(count, buffer.readableBytes / 3))
        for _ in 0..<count {
            guard let element = try parseValue(&buffer, depth: depth + 1) else { return nil }
            elements.append(element)
        }
        return .array(elements)
    }

    /// The bytes up to the next `\r\n`, consumed with it; `nil` when it has not arrived yet.
    private func readLine(_ buffer: inout ByteBuffer) throws(RESPDecodingError) -> ByteBuffer? {
        let searchable = min(buffer.readableBytes, limits.maxLineLength + 2)
        let found = buffer.withUnsafeReadableBytes { bytes in
            UnsafeRawBufferPointer(rebasing: bytes[..<searchable]).firstIndex(of: UInt8(ascii: "\r"))
        }
        guard let length = found else {
            if searchable == limits.maxLineLength + 2 { throw .tooLarge }
            return nil
        }
        guard buffer.readableBytes >= length + 2 else { return nil }
        guard let line = buffer.readSlice(length: length) else { return nil }
        guard buffer.readInteger(as: UInt16.self) == Self.crlf else { throw .missingTerminator }
        return line
    }

    private static let crlf = UInt16(UInt8(ascii: "\r")) << 8 | UInt16(UInt8(ascii: "\n"))

    private static func number(_ line: ByteBuffer) throws(RESPDecodingError) -> Int64 {
        guard line.readableBytes <= 20, let value = decimal(line) else { throw .invalidNumber }
        return value
    }

    /// The integer `bytes` spell, read as `Int64(_: String)` reads text: an optional sign, then
    /// one or more decimal digits, within `Int64`'s range; `nil` for anything else.
    private static func decimal(_ bytes: ByteBuffer) -> Int64? {
        bytes.withUnsafeReadableBytes { bytes -> Int64? in
            guard let first = bytes.first else { return nil }
            let negative = first == UInt8(ascii: "-")
            let start = negative || first == UInt8(ascii: "+") ? 1 : 0
            guard start < bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[start...] {
                guard let next = appendingDecimalDigit(byte, to: value, negative: negative) else { return nil }
                value = next
            }
            return value
        }
    }

    /// `value` with the digit `byte` written after it; `nil` when `byte` is not a digit or the
    /// number leaves `Int64`'s range. A negative number's digits are subtracted, so that
    /// `Int64.min` can be read.
    static func appendingDecimalDigit(_ byte: UInt8, to value: Int64, negative: Bool) -> Int64? {
        let digit = byte &- UInt8(ascii: "0")
        guard digit < 10 else { return nil }
        let (shifted, overflowed) = value.multipliedReportingOverflow(by: 10)
        let (next, overflowedAgain) =
            negative
            ? shifted.subtractingReportingOverflow(Int64(digit))
            : shifted.addingReportingOverflow(Int64(digit))
        guard !overflowed, !overflowedAgain else { return nil }
        return next
    }
}
