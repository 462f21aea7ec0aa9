/// Undoes `%XX` escapes (RFC 3986 §2.1): a path that names a model like `org%2Fmodel`, the user
/// and password of a `redis://` URL.
///
/// ```swift
/// PercentDecoding.decode("org%2Fmodel")  // "org/model"
/// PercentDecoding.decode("100%")         // nil
/// ```
package enum PercentDecoding {
    /// `text` with each escape replaced by its byte, or `nil` when a `%` is not followed by two
    /// hex digits or the bytes are not UTF-8. `+` stays a `+`: that is a form's rule, not a path's.
    package static func decode(_ text: some StringProtocol) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var utf8 = text.utf8.makeIterator()
        while let byte = utf8.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = utf8.next().flatMap(hexDigit), let low = utf8.next().flatMap(hexDigit) else { return nil }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
