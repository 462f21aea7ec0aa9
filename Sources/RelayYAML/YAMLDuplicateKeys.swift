/// Finds keys that a mapping has more than once. Two keys are the same when they have the same
/// type and text, however they were quoted: `port` and `"port"` are one key, `1` and `"1"` two.
enum YAMLDuplicateKeys {
    static func check(_ pairs: [(key: YAMLNode, value: YAMLNode)]) throws(YAMLError) {
        var firstOfKey: [KeyIdentity: YAMLNode] = [:]
        var repeated: [KeyIdentity] = []
        for (key, _) in pairs {
            let identity = KeyIdentity(key)
            if firstOfKey[identity] == nil {
                firstOfKey[identity] = key
            } else if !repeated.contains(identity) {
                repeated.append(identity)
            }
        }
        guard !repeated.isEmpty else { return }
        let keys = repeated.compactMap { firstOfKey[$0] }.sorted(by: precedes)
        throw .duplicateKeys(keys: keys.map(text), mark: keys.first?.mark ?? YAMLMark(line: 0, column: 0))
    }

    /// Scalars in the order of their text, lists element by element; other keys are unordered.
    private static func precedes(_ lhs: YAMLNode, _ rhs: YAMLNode) -> Bool {
        switch (lhs, rhs) {
        case (.scalar(let left), .scalar(let right)):
            return left.string < right.string
        case (.sequence(let left), .sequence(let right)):
            for (leftNode, rightNode) in zip(left.nodes, right.nodes) {
                if precedes(leftNode, rightNode) { return true }
                if precedes(rightNode, leftNode) { return false }
            }
            return left.nodes.count < right.nodes.count
        default:
            return false
        }
    }

    /// How a repeated key is named in the problem: a scalar by its text, a mapping by its `=`
    /// (default) value if it has one.
    private static func text(of key: YAMLNode) -> String {
        switch key {
        case .scalar(let scalar): return scalar.string
        case .mapping(let mapping):
            guard let value = mapping.pairs.first(where: { $0.key.tag == .value })?.value else {
                return "<uncovertable>"
            }
            return text(of: value)
        case .sequence: return "<uncovertable>"
        }
    }

    /// A key's type and content, without where or how it was written.
    private indirect enum KeyIdentity: Hashable {
        case scalar(String, YAMLTag)
        case mapping([KeyIdentity], YAMLTag)
        case sequence([KeyIdentity], YAMLTag)

        init(_ node: YAMLNode) {
            switch node {
            case .scalar(let scalar): self = .scalar(scalar.string, scalar.tag)
            case .mapping(let mapping):
                self = .mapping(mapping.pairs.flatMap { [KeyIdentity($0.key), KeyIdentity($0.value)] }, mapping.tag)
            case .sequence(let sequence): self = .sequence(sequence.nodes.map(KeyIdentity.init), sequence.tag)
            }
        }
    }
}
