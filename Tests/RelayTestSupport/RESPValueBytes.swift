import NIOCore
import RelayRedis

extension RESPValue {
    /// The value as Redis sends it (`.null` as the null bulk string), for tests that feed
    /// replies to a reader.
    public var bytes: ByteBuffer {
        var buffer = ByteBuffer()
        write(into: &buffer)
        return buffer
    }

    private func write(into buffer: inout ByteBuffer) {
        switch self {
        case .simpleString(let text): buffer.writeString("+\(text)\r\n")
        case .error(let text): buffer.writeString("-\(text)\r\n")
        case .integer(let number): buffer.writeString(":\(number)\r\n")
        case .bulkString(let bytes):
            buffer.writeString("$\(bytes.readableBytes)\r\n")
            buffer.writeImmutableBuffer(bytes)
            buffer.writeString("\r\n")
        case .null: buffer.writeString("$-1\r\n")
        case .array(let values):
            buffer.writeString("*\(values.count)\r\n")
            for value in values { value.write(into: &buffer) }
        }
    }

    /// A random value, arrays nested at most `depth` deep; its strings are often numbers (signed,
    /// zero-padded, past `Int64`'s range) and sometimes almost numbers.
    public static func random(using generator: inout some RandomNumberGenerator, depth: Int = 2) -> RESPValue {
        switch Int.random(in: 0..<(depth > 0 ? 7 : 6), using: &generator) {
        case 0: return .simpleString(randomText(using: &generator))
        case 1: return .error(["ERR no", "NOSCRIPT", "12"].randomElement(using: &generator)!)
        case 2: return .integer(randomInteger(using: &generator))
        case 3: return .bulkString(ByteBuffer(string: randomText(using: &generator)))
        case 4: return .null
        case 5: return .integer(Int64.random(in: -3...3, using: &generator))
        default:
            let count = Int.random(in: 0...4, using: &generator)
            return .array((0..<count).map { _ in random(using: &generator, depth: depth - 1) })
        }
    }

    private static func randomInteger(using generator: inout some RandomNumberGenerator) -> Int64 {
        [Int64.min, .max, 0, -1, Int64.random(in: .min ... .max, using: &generator)].randomElement(using: &generator)!
    }

    private static func randomText(using generator: inout some RandomNumberGenerator) -> String {
        let number = randomInteger(using: &generator)
        return [
            String(number), "+\(number.magnitude)", "00\(number.magnitude)", "", "-", "+", "1a", "a1", " 1",
            "99999999999999999999", "-9223372036854775809", "héllo", "OK",
        ].randomElement(using: &generator)!
    }
}
