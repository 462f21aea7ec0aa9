/// Where the running config comes from: its file, the environment it was read with, and the
/// listen address given on the command line, which wins over the file's at start and on every
/// reload alike (so a reload does not see the file's address as a change needing a restart).
package struct ConfigSource: Sendable {
    let path: String
    let environment: [String: String]
    /// `relay serve --host`, `--port`.
    let host: String?
    let port: Int?

    package init(path: String, environment: [String: String], host: String? = nil, port: Int? = nil) {
        self.path = path
        self.environment = environment
        self.host = host
        self.port = port
    }

    /// The file's config with the command line's address applied.
    package func load() throws(ConfigError) -> RelayConfig {
        var config = try ConfigLoader.load(path: path, environment: environment)
        applyCommandLine(to: &config)
        return config
    }

    package func applyCommandLine(to config: inout RelayConfig) {
        if let host { config.server.host = host }
        if let port { config.server.port = port }
    }
}
