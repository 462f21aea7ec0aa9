/// UUIDs as text, for request ids, made and checked by hand: no file opened, no system call
/// and no `sscanf` per request, as Foundation's `UUID` would need on Linux.
enum UUIDText {
    /// A version 4 UUID in lowercase, from ``UniqueIDs`` (no system call).
    static func random() -> String {
        var (high, low, _) = UniqueIDs.next()
        high = (high & ~0xF000) | 0x4000  // version 4
        low = (low & ~(0xC000 << 48)) | (0x8000 << 48)  // variant 10xx
        return String(unsafeUninitializedCapacity: 36) { text in
            let digits: StaticString = "0123456789abcdef"
            var index = 0
            func put(_ value: UInt64, nibbles: Int) {
                for shift in stride(from: (nibbles - 1) * 4, through: 0, by: -4) {
                    text[index] = digits.utf8Start[Int((value >> UInt64(shift)) & 0xF)]
                    index += 1
                }
            }
            func dash() {
                text[index] = UInt8(ascii: "-")
                index += 1
            }
            put(high >> 32, nibbles: 8)
            dash()
            put((high >> 16) & 0xFFFF, nibbles: 4)
            dash()
            put(high & 0xFFFF, nibbles: 4)
            dash()
            put(low >> 48, nibbles: 4)
            dash()
            put(low & 0xFFFF_FFFF_FFFF, nibbles: 12)
            return index
        }
    }

    /// Whether `text` has a UUID's shape: 8-4-4-4-12 hexadecimal digits.
    static func isUUID(_ text: String) -> Bool {
        var text = text
        // Read in place: an enumerated UTF-8 view costs an iterator step per byte.
        return text.withUTF8 { bytes in
            guard bytes.count == 36 else { return false }
            // Bit n set: byte n is a dash.
            let dashes: UInt64 = 1 << 8 | 1 << 13 | 1 << 18 | 1 << 23
            // Every byte is judged without a branch on it: a random id's digits and letters
            // would mispredict one branch in three.
            var wrong = false
            for index in 0..<36 {
                let byte = bytes[index]
                // A digit, or a letter from a to f in either case (0x20 makes it lowercase); never both.
                let isHex = (byte &- UInt8(ascii: "0") < 10) != ((byte | 0x20) &- UInt8(ascii: "a") < 6)
                let isRight = dashes >> index & 1 == 1 ? byte == UInt8(ascii: "-") : isHex
                wrong = wrong || !isRight
            }
            return !wrong
        }
    }
}
