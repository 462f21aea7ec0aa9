import ArgumentParser
import FoundationEssentials
import RelayCore

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the gateway.")

    @OptionGroup var config: ConfigOption

    @Option(help: "Address to listen on (overrides server.host).")
    var host: String?

    @Option(help: "Port to listen on (overrides server.port).")
    var port: Int?

    func run() async throws {
        try await serve()
    }

    /// Named apart from `run()` so that `main.swift` can call it without landing on the
    /// synchronous `run()` every command also has.
    func serve() async throws {
        let source = ConfigSource(
            path: config.path, environment: ProcessInfo.processInfo.environment, host: host, port: port)
        var loaded = try config.load()
        source.applyCommandLine(to: &loaded)
        try await RelayServer.open(config: loaded, configSource: source).run()
    }
}
