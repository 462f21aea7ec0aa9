import RelayYAML

/// Turns a YAML parse failure into one problem that names the line, without quoting the
/// offending text (it may be a secret).
enum YAMLSyntaxProblem {
    package static func problem(for error: YAMLError) -> ConfigProblem {
        ConfigProblem(path: "", message: message(for: error))
    }

    private static func message(for error: YAMLError) -> String {
        switch error {
        case .syntax(let problem, let mark, let context):
            let contextNote = context.map { " (\($0))" } ?? ""
            return "invalid YAML at line \(mark.line), column \(mark.column): \(problem)\(contextNote)"
        case .reader(let problem, let line):
            return "invalid YAML" + (line.map { " at line \($0)" } ?? "") + ": \(problem)"
        case .duplicateKeys(let keys, let mark):
            let keys = keys.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
            return "invalid YAML at line \(mark.line): duplicate key \(keys)"
        case .outOfMemory:
            return "invalid YAML: Memory error"
        }
    }
}
