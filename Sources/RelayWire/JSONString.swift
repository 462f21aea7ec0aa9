/// Encoding and decoding of JSON string literals.
package enum JSONString {
    /// Decodes the bytes between the quotes of a JSON string.
    static func decode(_ raw: ArraySlice<UInt8>) throws(JSONScanError) -> String {
        guard raw.contains(UInt8(ascii: "\\")) else {
            // ASCII needs no validation (and the generic validating initialiser is slow).
            if raw.allSatisfy({ $0 < 0x80 }) { return String(decoding: raw, as: UTF8.self) }
            // Invalid UTF-8 is refused, not repaired: a repaired model name could match another.
            guard let text = String(validating: raw, as: UTF8.self) else { throw .invalidUTF8 }
            return text
        }
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var index = raw.startIndex
        while index < raw.endIndex {
            let byte = raw[index]
            index += 1
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                continue
            }
            guard index < raw.endIndex else { throw .invalidEscape }
            let escape = raw[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4(raw, &index)
                if (0xD800..<0xDC00).contains(scalar), raw.dropFirst(index - raw.startIndex).starts(with: [92, 117]) {
                    index += 2
                    let low = try hex4(raw, &index)
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low &- 0xDC00) & 0x3FF
                }
                out.append(contentsOf: Array(String(Unicode.Scalar(scalar).map(Character.init) ?? "\u{FFFD}").utf8))
            default:
                throw .invalidEscape
            }
        }
        guard let text = String(validating: out, as: UTF8.self) else { throw .invalidUTF8 }
        return text
    }

    private static func hex4(_ raw: ArraySlice<UInt8>, _ index: inout Int) throws(JSONScanError) -> UInt32 {
        guard raw.endIndex - index >= 4 else { throw .invalidEscape }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = raw[index]
            index += 1
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw .invalidEscape
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    /// `value` as a JSON string literal, quotes included.
    package static func encode(_ value: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(value.utf8.count + 2)
        encode(value, into: &out)
        return out
    }

    /// Appends `value` as a JSON string literal, quotes included: plain text is copied whole,
    /// byte by byte work is only for the rare string that needs escapes.
    package static func encode(_ value: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { bytes in
            guard JSONSpecialBytes.first(in: bytes, from: 0, to: bytes.count) < bytes.count else {
                out.append(contentsOf: bytes)
                return
            }
            escape(bytes) { out.append($0) }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// The most bytes `encode` writes for `value`: every byte escaped as `\u00XX`, and the quotes.
    package static func mostEncodedCount(_ value: String) -> Int {
        value.utf8.count * 6 + 2
    }

    /// `encode(_:into:)` into a writer with room for `mostEncodedCount(value)` more bytes.
    package static func encode(_ value: String, into writer: inout RawByteWriter) {
        writer.put(byte: UInt8(ascii: "\""))
        let written = writer.put(value)
        let needsEscapes = written.withMemoryRebound(to: UInt8.self) {
            JSONSpecialBytes.first(in: $0, from: 0, to: $0.count) < $0.count
        }
        if needsEscapes {
            // Rare: write it again over itself, escaped. The bytes are read from a copy, as the
            // escaped text is longer than the plain and overwrites them.
            let plain = [UInt8](written)
            writer.at -= written.count
            plain.withUnsafeBufferPointer { plain in escape(plain) { writer.put(byte: $0) } }
        }
        writer.put(byte: UInt8(ascii: "\""))
    }

    private static func escape(_ bytes: UnsafeBufferPointer<UInt8>, _ put: (UInt8) -> Void) {
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                put(92)
                put(byte)
            case 0x0A, 0x0D, 0x09:
                put(92)
                put(byte == 0x0A ? UInt8(ascii: "n") : byte == 0x0D ? UInt8(ascii: "r") : UInt8(ascii: "t"))
            case 0..<0x20:
                let hex: StaticString = "0123456789abcdef"
                for escaped in [92, UInt8(ascii: "u"), 48, 48] { put(escaped) }
                put(hex.utf8Start[Int(byte >> 4)])
                put(hex.utf8Start[Int(byte & 0xF)])
            default: put(byte)
            }
        }
    }
}
