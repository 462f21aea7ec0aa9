extension UnsafeBufferPointer<UInt8> {
    /// Whether the bytes of `range` are `other`'s, compared through pointers: no iterator and no
    /// bounds check per byte, as this runs several times for every stream chunk.
    package func bytes(in range: Range<Int>, equal other: UnsafeBufferPointer<UInt8>) -> Bool {
        guard range.count == other.count else { return false }
        var offset = 0
        while offset < other.count {
            if self[range.lowerBound + offset] != other[offset] { return false }
            offset += 1
        }
        return true
    }
}

extension [UInt8] {
    /// Whether the bytes of `range` are `other`'s (see the pointer's version).
    package func bytes(in range: Range<Int>, equal other: UnsafeBufferPointer<UInt8>) -> Bool {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "a range outside the bytes")
        return withUnsafeBufferPointer { $0.bytes(in: range, equal: other) }
    }
}
