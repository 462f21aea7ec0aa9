/// Why a text is not a YAML document Relay can use. Problems are LibYAML's own words; none of them
/// quotes the text, which may hold a secret.
package enum YAMLError: Error, Equatable {
    /// The text has a character YAML does not allow (a control character). `line` counts the
    /// `\n` characters before it, from 1.
    case reader(problem: String, line: Int?)
    /// The scanner, the parser or the composer stopped at `mark`, e.g. "mapping values are not
    /// allowed in this context"; `context` is what it was reading ("while parsing a block
    /// mapping").
    case syntax(problem: String, mark: YAMLMark, context: String?)
    /// A mapping has a key twice. `keys` are the repeated keys' text; `mark` is where the first of
    /// them (in text order of the keys) first appears.
    case duplicateKeys(keys: [String], mark: YAMLMark)
    /// LibYAML could not allocate memory.
    case outOfMemory
}
