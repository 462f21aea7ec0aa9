import RelayYAML

/// A YAML node together with the path it was found at, so every problem can say where.
struct ConfigField {
    let node: YAMLNode
    let path: String

    var isNull: Bool {
        node.tag == .null
    }

    func childPath(_ key: String) -> String {
        ConfigPath.child(key, of: path)
    }
}

/// The keys of one YAML mapping, after unknown keys were reported.
struct ConfigFields {
    let path: String
    private let values: [String: YAMLNode]

    init(path: String, values: [String: YAMLNode]) {
        self.path = path
        self.values = values
    }

    subscript(key: String) -> ConfigField? {
        values[key].map { ConfigField(node: $0, path: ConfigPath.child(key, of: path)) }
    }

    func childPath(_ key: String) -> String {
        ConfigPath.child(key, of: path)
    }
}

/// Paths are dotted with list indices in brackets; names with dots (`qwen2.5`) are simply
/// concatenated, because quoting them would make the common case harder to read.
enum ConfigPath {
    static func child(_ key: String, of parent: String) -> String {
        parent.isEmpty ? key : "\(parent).\(key)"
    }

    static func element(_ index: Int, of parent: String) -> String {
        "\(parent)[\(index)]"
    }
}
