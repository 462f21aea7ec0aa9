extension [UInt8] {
    /// Whether the bytes of `range` are `other`'s, compared through pointers: no iterator and no
    /// bounds check per byte, as this runs several times for every stream chunk.
    func bytes(in range: Range<Int>, equal other: UnsafeBufferPointer<UInt8>) -> Bool {
        guard range.count == other.count else { return false }
        return withUnsafeBufferPointer { buffer in
            var offset = 0
            while offset < other.count {
                if buffer[range.lowerBound + offset] != other[offset] { return false }
                offset += 1
            }
            return true
        }
    }
}
