/// A list's elements in document order.
package struct YAMLSequence: Sendable {
    package let nodes: [YAMLNode]
    package let tag: YAMLTag
    package let mark: YAMLMark?

    package init(_ nodes: [YAMLNode], tag: YAMLTag = .seq, mark: YAMLMark? = nil) {
        self.nodes = nodes
        self.tag = tag
        self.mark = mark
    }
}
