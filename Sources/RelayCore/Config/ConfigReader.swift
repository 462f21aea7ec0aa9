import RelayYAML

/// Reads typed values out of the YAML tree. Every value that is missing or wrong becomes a
/// problem at its path and reads as `nil`, so decoding carries on and all problems are found
/// in one pass.
final class ConfigReader {
    private(set) var problems: [ConfigProblem] = []
    private let environment: [String: String]
    private let overrides: [String: EnvironmentOverride]

    init(environment: [String: String], overrides: [EnvironmentOverride]) {
        self.environment = environment
        self.overrides = Dictionary(overrides.map { ($0.path, $0) }, uniquingKeysWith: { _, last in last })
    }

    func report(_ path: String, _ message: String) {
        let shownPath = overrides[path].map { "env \($0.variable)" } ?? path
        problems.append(ConfigProblem(path: shownPath, message: message))
    }

    // MARK: Mappings and lists

    /// The entries of a mapping in document order; `nil` (absent) and YAML null read as empty,
    /// so `server:` with nothing under it means "all defaults".
    func entries(of field: ConfigField?) -> [(key: String, field: ConfigField)] {
        guard let field, !field.isNull else { return [] }
        guard let mapping = field.node.mapping else {
            report(field.path, "expected a mapping, got \(describe(field.node))")
            return []
        }
        var entries: [(key: String, field: ConfigField)] = []
        var merged: [YAMLNode] = []
        for (keyNode, valueNode) in mapping {
            if keyNode.tag == .merge {
                merged.append(valueNode)
                continue
            }
            guard let key = keyNode.scalar?.string else {
                report(field.path, "mapping keys must be strings, got \(describe(keyNode))")
                continue
            }
            entries.append((key, ConfigField(node: valueNode, path: field.childPath(key))))
        }
        for source in merged {
            appendMerged(source, into: &entries, at: field)
        }
        return entries
    }

    /// YAML merge keys (`<<: *shared`) let backends share settings through an anchor; keys
    /// written out in the mapping win over merged ones, and earlier merged mappings over later.
    private func appendMerged(
        _ source: YAMLNode,
        into entries: inout [(key: String, field: ConfigField)],
        at field: ConfigField
    ) {
        let sources = source.sequence ?? [source]
        for mergedNode in sources {
            guard let mapping = mergedNode.mapping else {
                report(field.childPath("<<"), "expected a mapping to merge, got \(describe(mergedNode))")
                continue
            }
            for (keyNode, valueNode) in mapping {
                guard let key = keyNode.scalar?.string, !entries.contains(where: { $0.key == key }) else { continue }
                entries.append((key, ConfigField(node: valueNode, path: field.childPath(key))))
            }
        }
    }

    /// The keys of a mapping whose key set is fixed: anything not in `known` is reported, with
    /// a suggestion when it looks like a typo. Environment overrides for these keys are applied.
    func fields(of field: ConfigField?, at path: String, known: [String]) -> ConfigFields {
        var values: [String: YAMLNode] = [:]
        for (key, entry) in entries(of: field) {
            if known.contains(key) {
                values[key] = entry.node
            } else if let suggestion = KeySuggestion.closest(to: key, among: known) {
                report(entry.path, "unknown key (did you mean \"\(suggestion)\"?)")
            } else {
                report(entry.path, "unknown key")
            }
        }
        for key in known {
            if let override = overrides[ConfigPath.child(key, of: path)] {
                values[key] = override.node
            }
        }
        return ConfigFields(path: path, values: values)
    }

    func fields(of field: ConfigField, known: [String]) -> ConfigFields {
        fields(of: field, at: field.path, known: known)
    }

    /// Reports a value that is neither a mapping nor null, so a caller can skip the entry's keys
    /// instead of adding "missing required key" noise under one clear problem.
    func isMappingOrNull(_ field: ConfigField) -> Bool {
        guard field.isNull || field.node.mapping != nil else {
            report(field.path, "expected a mapping, got \(describe(field.node))")
            return false
        }
        return true
    }

    func list(_ field: ConfigField) -> [ConfigField]? {
        guard let sequence = field.node.sequence else {
            report(field.path, "expected a list, got \(describe(field.node))")
            return nil
        }
        return sequence.enumerated().map { index, node in
            ConfigField(node: node, path: ConfigPath.element(index, of: field.path))
        }
    }

    /// Reports a missing key and returns `nil`, so callers can write `reader.required(...)`.
    func required(_ key: String, in fields: ConfigFields) -> ConfigField? {
        guard let field = fields[key] else {
            report(fields.childPath(key), "missing required key")
            return nil
        }
        return field
    }

    /// Absent reads as `nil`, explicit null as `.some(nil)`, a value as `.some(value)`.
    func nullable<Value>(_ field: ConfigField?, _ read: (ConfigField) -> Value?) -> Value?? {
        guard let field else { return nil }
        if field.isNull { return .some(nil) }
        guard let value = read(field) else { return nil }
        return .some(value)
    }

    // MARK: Scalars

    /// Any scalar except null and booleans reads as its text: `upstream_model: 7` is clearly
    /// meant as a name, while `host: no` is far more likely a mistake than a host called "no".
    ///
    /// The type is judged on what was written, so `api_key: ${KEY}` stays a string even when
    /// the variable holds "true" or nothing at all.
    func string(_ field: ConfigField) -> String? {
        let written = field.node
        guard written.scalar != nil, written.tag != .null, written.tag != .bool else {
            report(field.path, "expected a string, got \(describe(written))")
            return nil
        }
        return interpolated(field)?.scalar?.string
    }

    func nonEmptyString(_ field: ConfigField) -> String? {
        guard let text = string(field) else { return nil }
        guard !text.isEmpty else {
            report(field.path, "must not be empty")
            return nil
        }
        return text
    }

    func int(_ field: ConfigField, atLeast minimum: Int, atMost maximum: Int? = nil) -> Int? {
        guard let node = interpolated(field) else { return nil }
        guard node.tag == .int, let value = node.int else {
            report(field.path, "expected an integer, got \(describe(field.node))")
            return nil
        }
        if let maximum, !(minimum...maximum).contains(value) {
            report(field.path, "must be between \(minimum) and \(maximum), got \(shown(field, "\(value)"))")
            return nil
        }
        guard value >= minimum else {
            report(field.path, "must be at least \(minimum), got \(shown(field, "\(value)"))")
            return nil
        }
        return value
    }

    /// Durations accept integers and decimals; zero only where it has a meaning.
    func seconds(_ field: ConfigField, allowZero: Bool = false) -> Double? {
        guard let node = interpolated(field) else { return nil }
        guard node.tag == .int || node.tag == .float, let value = node.float, value.isFinite else {
            report(field.path, "expected a number of seconds, got \(describe(field.node))")
            return nil
        }
        if allowZero, value < 0 {
            report(field.path, "must be 0 or more, got \(shown(field, node.scalar?.string ?? ""))")
            return nil
        }
        if !allowZero, value <= 0 {
            report(field.path, "must be greater than 0, got \(shown(field, node.scalar?.string ?? ""))")
            return nil
        }
        return value
    }

    func bool(_ field: ConfigField) -> Bool? {
        guard let node = interpolated(field) else { return nil }
        guard node.tag == .bool, let value = node.bool else {
            report(field.path, "expected true or false, got \(describe(field.node))")
            return nil
        }
        return value
    }

    /// One of a fixed set of words, e.g. `unknown type "olama" (expected ollama, vllm or openai)`.
    func choice<Value: RawRepresentable & CaseIterable>(
        _ field: ConfigField,
        named what: String,
        as _: Value.Type = Value.self
    ) -> Value? where Value.RawValue == String {
        guard let text = string(field) else { return nil }
        if let value = Value(rawValue: text) { return value }
        let expected = Value.allCases.map(\.rawValue)
        report(field.path, "unknown \(what) \(shown(field, "\"\(text)\"")) (expected \(EnglishList.or(expected)))")
        return nil
    }

    func stringList(_ field: ConfigField) -> [String]? {
        guard let elements = list(field) else { return nil }
        let strings = elements.map { string($0) }
        return strings.contains(where: { $0 == nil }) ? nil : strings.compactMap { $0 }
    }

    func jsonValue(_ field: ConfigField) -> JSONValue? {
        JSONValueReader(reader: self).value(of: field)
    }

    // MARK: Helpers

    /// The node with `${VAR}` references in its text replaced; a plain scalar is re-typed after
    /// replacement so `port: ${PORT:-8080}` is an integer, while a quoted one stays a string.
    /// Values from environment overrides are taken literally.
    func interpolated(_ field: ConfigField) -> YAMLNode? {
        guard overrides[field.path] == nil, let scalar = field.node.scalar, scalar.string.contains("$") else {
            return field.node
        }
        let expansion = EnvironmentInterpolation.expand(scalar.string, environment: environment)
        guard expansion.problems.isEmpty else {
            for problem in expansion.problems { report(field.path, problem) }
            return nil
        }
        if scalar.style == .plain {
            return YAMLNode(plain: expansion.text)
        }
        return .scalar(YAMLScalar(expansion.text, tag: .str, style: scalar.style))
    }

    /// A value as a message shows it: as written in the file when it came from `${VAR}`, so a
    /// value from the environment (a secret, perhaps) is named by its variable, never repeated.
    func shown(_ field: ConfigField, _ value: String) -> String {
        field.node.scalar?.string.contains("${") == true ? describe(field.node) : value
    }

    /// How a wrong value is shown in a message. Collections are never dumped and long strings
    /// are not shown, so a secret pasted under the wrong key does not end up in a log.
    func describe(_ node: YAMLNode) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar(let scalar):
            switch node.tag {
            case .null: return "null"
            case .bool, .int, .float: return scalar.string
            default:
                return scalar.string.count > 40 ? "a long string" : "\"\(scalar.string)\""
            }
        }
    }
}
