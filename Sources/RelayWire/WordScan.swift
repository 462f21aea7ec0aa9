/// Finds bytes eight at a time: a test marks the high bit of each matching byte of a word read
/// little-endian (the classic "has a zero byte" and "has a byte less than n" tricks), and the
/// last few bytes are tested one by one. The scans of every head and JSON string go through it,
/// nearly always to find nothing for many bytes.
///
/// A test built from `equal` and `below` may mark a byte after a match too (a subtraction's
/// borrow), never one before it: the lowest mark is always the first match.
enum WordScan {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highs: UInt64 = 0x8080_8080_8080_8080

    /// The high bit of each byte of `word` that is `byte`.
    @inline(__always)
    static func equal(_ word: UInt64, _ byte: UInt8) -> UInt64 {
        let difference = word ^ (ones &* UInt64(byte))
        return (difference &- ones) & ~difference & highs
    }

    /// The high bit of each byte of `word` below `bound` (at most 0x80).
    @inline(__always)
    static func below(_ word: UInt64, _ bound: UInt8) -> UInt64 {
        (word &- ones &* UInt64(bound)) & ~word & highs
    }

    /// The position of the first byte of `bytes[start..<limit]` that `marks` marks in its word
    /// and `matches` matches alone (the same test), or `limit`.
    @inline(__always)
    static func first(
        in bytes: UnsafeRawBufferPointer,
        from start: Int,
        to limit: Int,
        marks: (UInt64) -> UInt64,
        matches: (UInt8) -> Bool
    ) -> Int {
        var position = start
        if let base = bytes.baseAddress {
            while position + 8 <= limit {
                let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: position, as: UInt64.self))
                let mask = marks(word)
                if mask != 0 { return position + mask.trailingZeroBitCount / 8 }
                position += 8
            }
        }
        while position < limit {
            if matches(bytes[position]) { return position }
            position += 1
        }
        return limit
    }
}
