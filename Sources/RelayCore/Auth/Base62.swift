/// Base62 (`0-9A-Za-z`): no `-`, `_` or `+`, so a key survives double-click selection, URLs
/// and shells, and its fields can be told apart by position alone.
enum Base62 {
    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    static func isBase62(_ text: some StringProtocol) -> Bool {
        text.utf8.allSatisfy { byte in
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
        }
    }

    /// `bytes` as a big-endian number written in base 62, left-padded with `0` to `width`
    /// digits (which must be enough: 43 digits hold 32 bytes, since 62^43 > 2^256).
    static func encode(_ bytes: [UInt8], width: Int) -> String {
        var number = bytes
        var digits: [UInt8] = []
        while number.contains(where: { $0 != 0 }) {
            // Long division of the whole number by 62; the remainder is the next digit.
            var remainder = 0
            for index in number.indices {
                let value = remainder << 8 | Int(number[index])
                number[index] = UInt8(value / 62)
                remainder = value % 62
            }
            digits.append(alphabet[remainder])
        }
        precondition(digits.count <= width, "\(bytes.count) bytes do not fit in \(width) base62 digits")
        digits.append(contentsOf: repeatElement(alphabet[0], count: width - digits.count))
        return String(decoding: digits.reversed(), as: UTF8.self)
    }

    /// `count` uniformly random digits. Bytes ≥ 248 are redrawn so that `% 62` has no bias.
    static func random(count: Int, using generator: inout some RandomNumberGenerator) -> String {
        var digits: [UInt8] = []
        while digits.count < count {
            let byte = UInt8.random(in: .min ... .max, using: &generator)
            if byte < 248 { digits.append(alphabet[Int(byte % 62)]) }
        }
        return String(decoding: digits, as: UTF8.self)
    }
}
