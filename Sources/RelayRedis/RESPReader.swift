import NIOCore

/// Reads a reply in place, value by value, for a caller that knows the shape it expects:
/// nothing is built but the numbers asked for (no `RESPValue`, no `String`).
///
/// A read that finds something other than what it asks for answers `nil` and consumes nothing.
/// A reader never trusts its bytes: any input is safe, malformed input is simply not what was
/// asked for.
///
/// ```swift
/// var reader = RESPReader(reply)  // *2\r\n:1\r\n:2\r\n
/// let count = reader.readArrayCount()  // 2
/// let first = reader.readInteger()  // 1
/// ```
public struct RESPReader {
    private var buffer: ByteBuffer

    public init(_ reply: ByteBuffer) {
        self.buffer = reply
    }

    /// `true` once every byte has been read.
    public var isAtEnd: Bool { buffer.readableBytes == 0 }

    /// The element count of the array that starts here, its header consumed; `nil` for
    /// anything else, the null array included.
    public mutating func readArrayCount() -> Int? {
        let found = buffer.withUnsafeReadableBytes { bytes -> (count: Int64, end: Int)? in
            guard bytes.first == UInt8(ascii: "*"), let line = Self.numberLine(bytes, from: 1), line.value >= 0 else {
                return nil
            }
            return (line.value, line.next)
        }
        guard let found else { return nil }
        buffer.moveReaderIndex(forwardBy: found.end)
        return Int(found.count)
    }

    /// The integer that starts here, consumed: an integer reply, or a simple or bulk string that
    /// holds a decimal integer (as `RESPValue.integer` reads them); `nil` for anything else.
    public mutating func readInteger() -> Int64? {
        let found = buffer.withUnsafeReadableBytes { bytes -> (value: Int64, end: Int)? in
            switch bytes.first {
            case UInt8(ascii: ":"), UInt8(ascii: "+"):
                return Self.numberLine(bytes, from: 1).map { ($0.value, $0.next) }
            case UInt8(ascii: "$"):
                guard let header = Self.numberLine(bytes, from: 1), header.value >= 0,
                    Int(header.value) <= bytes.count - header.next - 2
                else { return nil }
                // The whole payload must be the number: its line ends where the payload does.
                let end = header.next + Int(header.value) + 2
                guard let payload = Self.numberLine(bytes, from: header.next), payload.next == end else { return nil }
                return (payload.value, end)
            default:
                return nil
            }
        }
        guard let found else { return nil }
        buffer.moveReaderIndex(forwardBy: found.end)
        return found.value
    }

    /// The message of the error reply that starts here, consumed; `nil` for anything else.
    public mutating func readError() -> String? {
        let found = buffer.withUnsafeReadableBytes { bytes -> Int? in
            guard bytes.first == UInt8(ascii: "-"),
                let end = bytes.firstIndex(of: UInt8(ascii: "\r")), end + 1 < bytes.count,
                bytes[end + 1] == UInt8(ascii: "\n")
            else { return nil }
            return end
        }
        guard let end = found else { return nil }
        defer { buffer.moveReaderIndex(forwardBy: end + 2) }
        return buffer.getString(at: buffer.readerIndex + 1, length: end - 1)
    }

    /// The decimal number on the line from `start` to the next `\r\n`, read as
    /// `Int64(_: String)` reads text (an optional sign, one or more digits, within range), and
    /// where the next line starts; `nil` when the line is not whole or not such a number.
    private static func numberLine(_ bytes: UnsafeRawBufferPointer, from start: Int) -> (value: Int64, next: Int)? {
        var index = start
        guard index < bytes.count else { return nil }
        let negative = bytes[index] == UInt8(ascii: "-")
        if negative || bytes[index] == UInt8(ascii: "+") { index += 1 }
        let digitsStart = index
        var value: Int64 = 0
        while index < bytes.count, bytes[index] != UInt8(ascii: "\r") {
            guard let next = RESPParser.appendingDecimalDigit(bytes[index], to: value, negative: negative) else {
                return nil
            }
            value = next
            index += 1
        }
        guard index > digitsStart, index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\n") else { return nil }
        return (value, index + 2)
    }
}
