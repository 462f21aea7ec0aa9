/// One thing wrong with a configuration, tied to where it is in the YAML.
public struct ConfigProblem: Sendable, Equatable, CustomStringConvertible {
    /// Dotted path with list indices in brackets (`models.qwen2.5.fallbacks[0].backend`), or
    /// `env RELAY_PORT` for a value that came from an environment override; `""` for the whole file.
    public var path: String
    /// Never contains a secret (api keys, key hashes, Redis passwords).
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String {
        path.isEmpty ? message : "\(path): \(message)"
    }
}

/// Every problem found in a configuration, reported together so one edit can fix them all.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public var problems: [ConfigProblem]

    public init(problems: [ConfigProblem]) {
        self.problems = problems
    }

    public var description: String {
        problems.map(\.description).joined(separator: "\n")
    }
}
