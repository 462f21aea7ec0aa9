import NIOCore

/// Writes a command the way Redis reads it: an array of bulk strings.
enum RESPCommandEncoder {
    static func encode(_ arguments: [ByteBuffer], into buffer: inout ByteBuffer) {
        buffer.writeStaticString("*")
        writeDecimal(Int64(arguments.count), into: &buffer)
        buffer.writeStaticString("\r\n")
        for argument in arguments {
            buffer.writeStaticString("$")
            writeDecimal(Int64(argument.readableBytes), into: &buffer)
            buffer.writeStaticString("\r\n")
            buffer.writeImmutableBuffer(argument)
            buffer.writeStaticString("\r\n")
        }
    }

    /// One command made of `parts`, in order: the array's header, then each part's arguments.
    static func encode(_ parts: [RESPArguments], allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 24 + parts.reduce(0) { $0 + $1.bytes.readableBytes })
        buffer.writeStaticString("*")
        writeDecimal(Int64(parts.reduce(0) { $0 + $1.count }), into: &buffer)
        buffer.writeStaticString("\r\n")
        for part in parts { buffer.writeImmutableBuffer(part.bytes) }
        return buffer
    }

    /// How many characters `String(value)` has.
    static func decimalLength(_ value: Int64) -> Int {
        var length = value < 0 ? 2 : 1
        var rest = value.magnitude
        while rest >= 10 {
            rest /= 10
            length += 1
        }
        return length
    }

    /// Writes `value` in decimal, as `String(value)` spells it, with no `String` in between.
    static func writeDecimal(_ value: Int64, into buffer: inout ByteBuffer) {
        let length = decimalLength(value)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { bytes in
            putDecimal(value, length: length, into: bytes, at: 0)
            return length
        }
    }

    /// Puts the `length` characters of `value` in decimal at `offset`.
    static func putDecimal(_ value: Int64, length: Int, into bytes: UnsafeMutableRawBufferPointer, at offset: Int) {
        var rest = value.magnitude
        var index = offset + length
        repeat {
            index -= 1
            bytes[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
        } while rest > 0
        if value < 0 { bytes[offset] = UInt8(ascii: "-") }
    }
}

/// A command's arguments, written as RESP bulk strings as they are appended: no `String` or
/// `ByteBuffer` is made for each one, and integers go in as their decimal digits.
///
/// ```swift
/// var keys = RESPArguments()
/// keys.append("counter")
/// var arguments = RESPArguments()
/// arguments.append(5)
/// let reply = try await client.run(increment, keys: keys, arguments: arguments).get()
/// ```
public struct RESPArguments: Sendable {
    /// How many arguments were appended.
    public private(set) var count = 0
    /// Each argument as `$<length>\r\n<bytes>\r\n`, in order.
    public private(set) var bytes: ByteBuffer

    /// - Parameter capacity: bytes allocated up front, so that the buffer grows fewer times.
    public init(capacity: Int = 64) {
        bytes = ByteBufferAllocator().buffer(capacity: capacity)
    }

    public mutating func append(_ text: String) {
        count += 1
        var text = text
        text.withUTF8 { utf8 in
            let lengthDigits = RESPCommandEncoder.decimalLength(Int64(utf8.count))
            let size = lengthDigits + utf8.count + 5
            bytes.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { out in
                out[0] = UInt8(ascii: "$")
                RESPCommandEncoder.putDecimal(Int64(utf8.count), length: lengthDigits, into: out, at: 1)
                Self.putCRLF(into: out, at: 1 + lengthDigits)
                if let base = utf8.baseAddress, let target = out.baseAddress {
                    (target + 3 + lengthDigits).copyMemory(from: base, byteCount: utf8.count)
                }
                Self.putCRLF(into: out, at: size - 2)
                return size
            }
        }
    }

    /// Appends `number` spelled as `String(number)` spells it.
    public mutating func append(_ number: Int64) {
        count += 1
        let digits = RESPCommandEncoder.decimalLength(number)
        let lengthDigits = RESPCommandEncoder.decimalLength(Int64(digits))
        let size = lengthDigits + digits + 5
        bytes.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { out in
            out[0] = UInt8(ascii: "$")
            RESPCommandEncoder.putDecimal(Int64(digits), length: lengthDigits, into: out, at: 1)
            Self.putCRLF(into: out, at: 1 + lengthDigits)
            RESPCommandEncoder.putDecimal(number, length: digits, into: out, at: 3 + lengthDigits)
            Self.putCRLF(into: out, at: size - 2)
            return size
        }
    }

    private static func putCRLF(into bytes: UnsafeMutableRawBufferPointer, at offset: Int) {
        bytes[offset] = UInt8(ascii: "\r")
        bytes[offset + 1] = UInt8(ascii: "\n")
    }

    public mutating func append(_ number: Int) {
        append(Int64(number))
    }
}
