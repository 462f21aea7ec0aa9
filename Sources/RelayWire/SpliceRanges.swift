/// The values to replace in a text, in order: the first held inline, so the usual single one
/// allocates nothing.
struct SpliceRanges {
    private var first: Range<Int>?
    private var rest: [Range<Int>] = []

    package mutating func append(_ range: Range<Int>) {
        if first == nil { first = range } else { rest.append(range) }
    }

    /// Appends `bytes` to `out` as they are, except each range, which is `value` instead.
    func splice(_ bytes: [UInt8], replacingWith value: [UInt8], into out: inout [UInt8]) {
        var copied = 0
        func replace(_ range: Range<Int>) {
            out.append(contentsOf: bytes[copied..<range.lowerBound])
            out.append(contentsOf: value)
            copied = range.upperBound
        }
        if let first { replace(first) }
        for range in rest { replace(range) }
        out.append(contentsOf: bytes[copied...])
    }
}
