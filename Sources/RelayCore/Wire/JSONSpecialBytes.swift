/// Finds the bytes a JSON string cannot hold as they are (`"`, `\` and control bytes), eight
/// bytes at a time: the scan every string of every request body, answer and access line goes
/// through, nearly always to find nothing until the closing quote.
enum JSONSpecialBytes {
    /// The position of the first such byte in `buffer[start..<limit]`, or `limit`.
    static func first(in buffer: UnsafeBufferPointer<UInt8>, from start: Int, to limit: Int) -> Int {
        var position = start
        if let base = buffer.baseAddress {
            let raw = UnsafeRawPointer(base)
            while position + 8 <= limit {
                let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: position, as: UInt64.self))
                let mask = specialMask(word)
                // A match's borrow can only mark bytes after it: the lowest mark is the first match.
                if mask != 0 { return position + mask.trailingZeroBitCount / 8 }
                position += 8
            }
        }
        while position < limit {
            let byte = buffer[position]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { return position }
            position += 1
        }
        return limit
    }

    /// The high bit of each byte of `word` that is below 0x20, `"` or `\` (the classic
    /// "has a byte less than n" and "has a zero byte" tricks, ORed).
    @inline(__always)
    private static func specialMask(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let control = (word &- ones &* 0x20) & ~word
        let quote = word ^ (ones &* UInt64(UInt8(ascii: "\"")))
        let backslash = word ^ (ones &* UInt64(UInt8(ascii: "\\")))
        return (control | ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash)) & highs
    }
}
