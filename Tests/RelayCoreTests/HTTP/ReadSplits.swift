/// The ways network reads may cut the same bytes, for the parsers' tests: in two at every
/// position, and a byte at a time.
enum ReadSplits {
    static func of(_ text: String) -> [[String]] {
        let bytes = Array(text.utf8)
        let string = { (part: ArraySlice<UInt8>) in String(decoding: part, as: UTF8.self) }
        var splits = (0...bytes.count).map { [string(bytes[..<$0]), string(bytes[$0...])] }
        splits.append(bytes.map { String(decoding: [$0], as: UTF8.self) })
        return splits
    }
}
