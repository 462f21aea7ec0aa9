/// A mapping's entries in document order. Merge keys (`<<`) are kept as entries: what they merge
/// is up to the reader, which knows which keys it expects.
package struct YAMLMapping: Sendable {
    package let pairs: [(key: YAMLNode, value: YAMLNode)]
    package let tag: YAMLTag
    package let mark: YAMLMark?

    package init(_ pairs: [(key: YAMLNode, value: YAMLNode)], tag: YAMLTag = .map, mark: YAMLMark? = nil) {
        self.pairs = pairs
        self.tag = tag
        self.mark = mark
    }
}
