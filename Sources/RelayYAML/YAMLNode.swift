/// One node of a composed YAML document. Aliases are already replaced by the node their anchor
/// names, so a reader never meets one.
package enum YAMLNode: Sendable {
    case scalar(YAMLScalar)
    case mapping(YAMLMapping)
    case sequence(YAMLSequence)

    /// A scalar typed as YAML would type it written plain (`8080` is an integer, `~` null).
    package init(plain string: String) {
        self = .scalar(YAMLScalar(string))
    }

    package var tag: YAMLTag {
        switch self {
        case .scalar(let scalar): scalar.tag
        case .mapping(let mapping): mapping.tag
        case .sequence(let sequence): sequence.tag
        }
    }

    package var mark: YAMLMark? {
        switch self {
        case .scalar(let scalar): scalar.mark
        case .mapping(let mapping): mapping.mark
        case .sequence(let sequence): sequence.mark
        }
    }

    package var scalar: YAMLScalar? {
        if case .scalar(let scalar) = self { return scalar }
        return nil
    }

    /// The mapping's entries, or `nil` for a scalar or a list.
    package var mapping: [(key: YAMLNode, value: YAMLNode)]? {
        if case .mapping(let mapping) = self { return mapping.pairs }
        return nil
    }

    /// The list's elements, or `nil` for a scalar or a mapping.
    package var sequence: [YAMLNode]? {
        if case .sequence(let sequence) = self { return sequence.nodes }
        return nil
    }

    /// The scalar's value as an integer (`scalar?.int`).
    package var int: Int? { scalar?.int }

    /// The scalar's value as a number (`scalar?.float`).
    package var float: Double? { scalar?.float }

    /// The scalar's value as a boolean (`scalar?.bool`).
    package var bool: Bool? { scalar?.bool }
}
