import FoundationEssentials
import RelayYAML

/// Reads, interpolates, overrides and validates the YAML configuration (SPEC §2).
package enum ConfigLoader {
    static let defaultPath = "./relay.yaml"

    /// Path: the --config flag, else $RELAY_CONFIG, else ./relay.yaml
    ///
    /// An empty flag or variable counts as not given: shells and container runtimes often pass
    /// `RELAY_CONFIG=` for "unset", and an empty path can never name a file anyway.
    package static func resolvePath(flag: String?, environment: [String: String]) -> String {
        if let flag, !flag.isEmpty { return flag }
        if let fromEnvironment = environment["RELAY_CONFIG"], !fromEnvironment.isEmpty { return fromEnvironment }
        return defaultPath
    }

    /// Loads the file at `path`; a file that cannot be read is one problem with an empty path.
    package static func load(path: String, environment: [String: String]) throws(ConfigError) -> RelayConfig {
        try parse(yaml: readFile(at: path), environment: environment)
    }

    static func parse(yaml: String, environment: [String: String]) throws(ConfigError) -> RelayConfig {
        let root: YAMLNode?
        do {
            root = try YAMLComposer.compose(yaml: yaml)
        } catch {
            throw ConfigError(problems: [YAMLSyntaxProblem.problem(for: error)])
        }
        let reader = ConfigReader(
            environment: environment,
            overrides: EnvironmentOverrides.overrides(from: environment)
        )
        let config = RelayConfigDecoder(reader: reader).decode(root)
        guard reader.problems.isEmpty else { throw ConfigError(problems: reader.problems) }
        return config
    }

    private static func readFile(at path: String) throws(ConfigError) -> String {
        var isDirectory = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ConfigError(problems: [ConfigProblem(path: "", message: "config file \"\(path)\" does not exist")])
        }
        guard !isDirectory, let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(problems: [ConfigProblem(path: "", message: "cannot read config file \"\(path)\"")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(problems: [ConfigProblem(path: "", message: "config file \"\(path)\" is not UTF-8")])
        }
        return text
    }
}
