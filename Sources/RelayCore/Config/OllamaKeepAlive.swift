import RelayYAML

/// Checks an Ollama `keep_alive`: a Go duration (`5m`, `1h30m`, `-1s`) or whole seconds.
///
/// Ollama parses a string with Go's `time.ParseDuration`, which rejects a bare number, so an
/// integer is turned into `"<n>s"`. Checking the string here catches `5 min` at startup rather
/// than as a 400 on every request.
struct OllamaKeepAlive {
    let reader: ConfigReader

    static let units = ["ns", "us", "µs", "ms", "s", "m", "h"]

    func value(_ field: ConfigField) -> String? {
        guard let node = reader.interpolated(field) else { return nil }
        if node.tag == .int, let seconds = node.int { return "\(seconds)s" }
        guard node.tag == .str, let text = node.scalar?.string else {
            reader.report(
                field.path, "expected a duration such as \"5m\" or whole seconds, got \(reader.describe(field.node))")
            return nil
        }
        guard Self.isGoDuration(text) else {
            let shown = reader.shown(field, "\"\(text)\"")
            reader.report(field.path, "expected a duration such as \"5m\", \"1h30m\" or \"-1s\", got \(shown)")
            return nil
        }
        return text
    }

    /// Go's grammar: an optional sign, then "0" or one or more decimal numbers each with a unit.
    static func isGoDuration(_ text: String) -> Bool {
        var rest = Substring(text)
        if rest.first == "-" || rest.first == "+" { rest = rest.dropFirst() }
        if rest == "0" { return true }
        guard !rest.isEmpty else { return false }
        while !rest.isEmpty {
            let number = rest.prefix(while: { ("0"..."9").contains($0) || $0 == "." })
            guard number.contains(where: { $0 != "." }), number.filter({ $0 == "." }).count <= 1 else { return false }
            rest = rest.dropFirst(number.count)
            guard let unit = units.sorted(by: { $0.count > $1.count }).first(where: { rest.hasPrefix($0) }) else {
                return false
            }
            rest = rest.dropFirst(unit.count)
        }
        return true
    }
}
