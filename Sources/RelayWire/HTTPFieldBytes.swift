/// Checks on header bytes before they go on the wire, over the bytes where they are written.
package enum HTTPFieldBytes {
    /// RFC 9110's `tchar`, by byte: the characters a field name may have.
    package static let isTokenByte: [Bool] = (0..<256).map { value in
        let byte = UInt8(value)
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    /// Not empty, and every byte a `tchar`.
    package static func isToken(_ bytes: UnsafeRawBufferPointer) -> Bool {
        !bytes.isEmpty && isTokenByte.withUnsafeBufferPointer { table in bytes.allSatisfy { table[Int($0)] } }
    }

    /// No CR, LF or NUL: nothing that would end the field, or the head, early. Eight bytes at
    /// a time: every value of every upstream request is checked.
    package static func isSafeValue(_ bytes: UnsafeRawBufferPointer) -> Bool {
        WordScan.first(
            in: bytes, from: 0, to: bytes.count,
            marks: { WordScan.equal($0, 0x0D) | WordScan.equal($0, 0x0A) | WordScan.equal($0, 0) },
            matches: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }
        ) == bytes.count
    }

    /// A request target: a safe value without a space, which would end the request line early.
    package static func isSafeTarget(_ bytes: UnsafeRawBufferPointer) -> Bool {
        WordScan.first(
            in: bytes, from: 0, to: bytes.count,
            marks: {
                WordScan.equal($0, 0x0D) | WordScan.equal($0, 0x0A) | WordScan.equal($0, 0) | WordScan.equal($0, 0x20)
            },
            matches: { $0 == 0x0D || $0 == 0x0A || $0 == 0 || $0 == 0x20 }
        ) == bytes.count
    }
}
