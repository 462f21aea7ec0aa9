import ArgumentParser
import Foundation
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
        var loaded = try config.load()
        if let host { loaded.server.host = host }
        if let port { loaded.server.port = port }
        let source = (path: config.path, environment: ProcessInfo.processInfo.environment)
        try await RelayServer(config: loaded, configSource: source).run()
    }
}
