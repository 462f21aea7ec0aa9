import RelayYAML

/// Converts a YAML subtree (Ollama `options`) to JSON, keeping mapping order so requests are
/// built the same way every time.
struct JSONValueReader {
    let reader: ConfigReader

    func value(of field: ConfigField) -> JSONValue? {
        switch field.node {
        case .mapping:
            var object: [(String, JSONValue)] = []
            var valid = true
            for (key, child) in reader.entries(of: field) {
                if let value = value(of: child) { object.append((key, value)) } else { valid = false }
            }
            return valid ? .object(object) : nil
        case .sequence(let sequence):
            let values = sequence.nodes.enumerated().map { index, node in
                value(of: ConfigField(node: node, path: ConfigPath.element(index, of: field.path)))
            }
            return values.contains(where: { $0 == nil }) ? nil : .array(values.compactMap { $0 })
        case .scalar:
            return scalar(field)
        }
    }

    private func scalar(_ field: ConfigField) -> JSONValue? {
        guard let node = reader.interpolated(field) else { return nil }
        switch node.tag {
        case .null: return .null
        case .bool: return node.bool.map { .bool($0) }
        case .int: return node.int.map { .int($0) } ?? node.float.map { .double($0) }
        case .float:
            guard let number = node.float, number.isFinite else {
                reader.report(field.path, "expected a finite number, got \(reader.describe(field.node))")
                return nil
            }
            return .double(number)
        default: return node.scalar.map { .string($0.string) }
        }
    }
}
