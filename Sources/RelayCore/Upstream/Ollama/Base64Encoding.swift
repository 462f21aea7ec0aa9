/// Standard base64 (RFC 4648, with padding), for embeddings Relay encodes itself.
enum Base64Encoding {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= bytes.count {
            let group = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            out += [sextet(group, 18), sextet(group, 12), sextet(group, 6), sextet(group, 0)]
            index += 3
        }
        switch bytes.count - index {
        case 1:
            let group = UInt32(bytes[index]) << 16
            out += [sextet(group, 18), sextet(group, 12), UInt8(ascii: "="), UInt8(ascii: "=")]
        case 2:
            let group = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
            out += [sextet(group, 18), sextet(group, 12), sextet(group, 6), UInt8(ascii: "=")]
        default:
            break
        }
        return out
    }

    private static func sextet(_ group: UInt32, _ shift: UInt32) -> UInt8 {
        alphabet[Int((group >> shift) & 0x3F)]
    }
}
