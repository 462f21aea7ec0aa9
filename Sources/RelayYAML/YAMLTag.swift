/// A node's YAML type, by its full tag name (`tag:yaml.org,2002:int`). Scalars without a tag get
/// theirs from what they say (`YAMLImplicitTag`); an explicit tag (`!!str 8080`) is kept as
/// written, so a quoted or tagged number stays text.
package struct YAMLTag: RawRepresentable, Hashable, Sendable {
    package let rawValue: String

    package init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// `!`, the tag that asks for a node's default type: text, list or mapping.
    package static let nonSpecific = YAMLTag(rawValue: "!")

    package static let str = YAMLTag(rawValue: "tag:yaml.org,2002:str")
    package static let seq = YAMLTag(rawValue: "tag:yaml.org,2002:seq")
    package static let map = YAMLTag(rawValue: "tag:yaml.org,2002:map")
    package static let null = YAMLTag(rawValue: "tag:yaml.org,2002:null")
    package static let bool = YAMLTag(rawValue: "tag:yaml.org,2002:bool")
    package static let int = YAMLTag(rawValue: "tag:yaml.org,2002:int")
    package static let float = YAMLTag(rawValue: "tag:yaml.org,2002:float")
    /// `<<`, the key whose value is merged into the mapping that holds it.
    package static let merge = YAMLTag(rawValue: "tag:yaml.org,2002:merge")
    package static let timestamp = YAMLTag(rawValue: "tag:yaml.org,2002:timestamp")
    /// `=`, YAML 1.1's key for a mapping's default value.
    package static let value = YAMLTag(rawValue: "tag:yaml.org,2002:value")
}
