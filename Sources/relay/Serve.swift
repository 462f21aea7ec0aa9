import ArgumentParser
import RelayCore

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the gateway.")

    @OptionGroup var config: ConfigOption

    @Option(help: "Address to listen on (overrides server.host).")
    var host: String?

    @Option(help: "Port to listen on (overrides server.port).")
    var port: Int?

    func run() async throws {
        var loaded = try config.load()
        if let host { loaded.server.host = host }
        if let port { loaded.server.port = port }
        try await RelayServer(config: loaded).run()
    }
}
