import RelayYAML

/// A value from a `RELAY_*` variable that replaces the one at `path` in the file.
struct EnvironmentOverride {
    let variable: String
    let path: String
    let node: YAMLNode
}

/// The variables that override file values (SPEC §2). They take the place of the file's value
/// before validation, so a bad one is reported like a file value but under `env RELAY_PORT`.
enum EnvironmentOverrides {
    private static let stringOverrides: [(variable: String, path: String)] = [
        ("RELAY_HOST", "server.host"),
        ("RELAY_LOG_LEVEL", "log.level"),
        ("RELAY_LOG_FORMAT", "log.format"),
        ("RELAY_REDIS_URL", "redis_url"),
    ]

    /// An empty variable counts as unset: orchestrators commonly pass `RELAY_REDIS_URL=` when
    /// they mean "not given", and an empty host, level or URL is never a valid value.
    static func overrides(from environment: [String: String]) -> [EnvironmentOverride] {
        var overrides: [EnvironmentOverride] = []
        for (variable, path) in stringOverrides {
            guard let value = environment[variable], !value.isEmpty else { continue }
            overrides.append(
                EnvironmentOverride(variable: variable, path: path, node: .scalar(YAMLScalar(value, tag: .str))))
        }
        if let port = environment["RELAY_PORT"]?.trimmingWhitespace(), !port.isEmpty {
            // Resolved like a YAML plain scalar, so "abc" or "80.5" are reported as not integers.
            overrides.append(
                EnvironmentOverride(variable: "RELAY_PORT", path: "server.port", node: YAMLNode(plain: port)))
        }
        return overrides
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
