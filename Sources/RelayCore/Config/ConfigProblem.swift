/// One thing wrong with a configuration, tied to where it is in the YAML.
struct ConfigProblem: Sendable, Equatable, CustomStringConvertible {
    /// Dotted path with list indices in brackets (`models.qwen2.5.fallbacks[0].backend`), or
    /// `env RELAY_PORT` for a value that came from an environment override; `""` for the whole file.
    var path: String
    /// Never contains a secret (api keys, key hashes, Redis passwords).
    var message: String

    init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    var description: String {
        path.isEmpty ? message : "\(path): \(message)"
    }
}

/// Every problem found in a configuration, reported together so one edit can fix them all.
package struct ConfigError: Error, Sendable, CustomStringConvertible {
    var problems: [ConfigProblem]

    init(problems: [ConfigProblem]) {
        self.problems = problems
    }

    package var description: String {
        problems.map(\.description).joined(separator: "\n")
    }
}
