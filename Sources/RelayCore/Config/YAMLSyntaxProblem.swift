import Yams

/// Turns a Yams parse failure into one problem that names the line, without quoting the
/// offending text (it may be a secret).
enum YAMLSyntaxProblem {
    package static func problem(for error: any Error) -> ConfigProblem {
        ConfigProblem(path: "", message: message(for: error))
    }

    private static func message(for error: any Error) -> String {
        guard let yamlError = error as? YamlError else { return "invalid YAML: \(error)" }
        switch yamlError {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let contextNote = context.map { " (\($0.text))" } ?? ""
            return "invalid YAML at line \(mark.line), column \(mark.column): \(problem)\(contextNote)"
        case .reader(let problem, let offset, _, let yaml):
            let line = offset.map { lineNumber(ofCharacterOffset: $0, in: yaml) }
            return "invalid YAML" + (line.map { " at line \($0)" } ?? "") + ": \(problem)"
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
            return "invalid YAML at line \(context.mark.line): duplicate key \(keys)"
        default:
            return "invalid YAML: \(yamlError)"
        }
    }

    private static func lineNumber(ofCharacterOffset offset: Int, in text: String) -> Int {
        text.prefix(offset).reduce(1) { line, character in character == "\n" ? line + 1 : line }
    }
}
