/// Builds the node tree of a YAML text from LibYAML's parser events: aliases become the nodes
/// their anchors name, scalars get their types, and a mapping with a key written twice is an
/// error.
package final class YAMLComposer {
    private let reader: YAMLEventReader
    /// The node each anchor names so far; a later anchor of the same name replaces an earlier one.
    private var anchors: [String: YAMLNode] = [:]

    /// How deep lists and mappings may nest. A config needs a handful of levels; the bound keeps
    /// a text of thousands of `[` from overflowing the stack of the composer, which recurses.
    package static let maxDepth = 256

    private init(reader: YAMLEventReader) {
        self.reader = reader
    }

    /// The text's one document, or `nil` when it has none (empty, or only comments).
    package static func compose(yaml: String) throws(YAMLError) -> YAMLNode? {
        try YAMLComposer(reader: YAMLEventReader(yaml)).singleDocument()
    }

    private func singleDocument() throws(YAMLError) -> YAMLNode? {
        _ = try reader.next()  // the stream's start
        guard case .documentStart = try reader.next().kind else { return nil }
        let root = try node(startingWith: reader.next(), depth: 0)
        _ = try reader.next()  // the document's end
        let afterDocument = try reader.next()
        if case .streamEnd = afterDocument.kind { return root }
        throw .syntax(
            problem: "but found another document",
            mark: afterDocument.mark,
            context: "expected a single document in the stream"
        )
    }

    /// The node that starts with `event`, inside `depth` lists and mappings.
    private func node(startingWith event: YAMLEvent, depth: Int) throws(YAMLError) -> YAMLNode {
        switch event.kind {
        case .alias(let anchor):
            guard let node = anchors[anchor] else {
                throw .syntax(problem: "found undefined alias", mark: event.mark, context: nil)
            }
            return node
        case .scalar(let value, let anchor, let tag, let style):
            return named(.scalar(YAMLScalar(value, tag: tag, style: style, mark: event.mark)), anchor)
        case .sequenceStart(let anchor, let tag):
            try checkDepth(depth, at: event.mark)
            var nodes: [YAMLNode] = []
            while true {
                let next = try reader.next()
                if case .sequenceEnd = next.kind { break }
                nodes.append(try node(startingWith: next, depth: depth + 1))
            }
            return named(
                .sequence(YAMLSequence(nodes, tag: collectionTag(tag, default: .seq), mark: event.mark)), anchor)
        case .mappingStart(let anchor, let tag):
            try checkDepth(depth, at: event.mark)
            var pairs: [(key: YAMLNode, value: YAMLNode)] = []
            while true {
                let next = try reader.next()
                if case .mappingEnd = next.kind { break }
                let key = try node(startingWith: next, depth: depth + 1)
                pairs.append((key, try node(startingWith: reader.next(), depth: depth + 1)))
            }
            try YAMLDuplicateKeys.check(pairs)
            return named(.mapping(YAMLMapping(pairs, tag: collectionTag(tag, default: .map), mark: event.mark)), anchor)
        case .streamStart, .streamEnd, .documentStart, .documentEnd, .sequenceEnd, .mappingEnd:
            // LibYAML's parser only hands out a node's start where a node belongs.
            preconditionFailure("LibYAML gave an event that cannot start a node where a node belongs")
        }
    }

    private func checkDepth(_ depth: Int, at mark: YAMLMark) throws(YAMLError) {
        guard depth < Self.maxDepth else {
            throw .syntax(
                problem: "lists and mappings nested more than \(Self.maxDepth) levels deep", mark: mark, context: nil)
        }
    }

    /// Registers `node` under its anchor, after its content, so a collection cannot hold itself.
    private func named(_ node: YAMLNode, _ anchor: String?) -> YAMLNode {
        if let anchor { anchors[anchor] = node }
        return node
    }

    private func collectionTag(_ tag: YAMLTag?, default defaultTag: YAMLTag) -> YAMLTag {
        guard let tag, tag != .nonSpecific else { return defaultTag }
        return tag
    }
}
