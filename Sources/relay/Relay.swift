import ArgumentParser
import FoundationEssentials
import RelayCore

struct Relay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relay",
        abstract: "An OpenAI-compatible gateway for self-hosted LLM servers, with cloud fallback.",
        version: RelayVersion.current,
        subcommands: [Serve.self, CheckConfig.self, Keys.self, Usage.self]
    )
}

/// `--config`, shared by the commands that read a config file.
struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "Config file (default: $RELAY_CONFIG, else ./relay.yaml).")
    var config: String?

    var path: String {
        ConfigLoader.resolvePath(flag: config, environment: ProcessInfo.processInfo.environment)
    }

    /// The loaded config, or every problem printed to stderr and exit status 1.
    func load() throws -> RelayConfig {
        do {
            return try ConfigLoader.load(path: path, environment: ProcessInfo.processInfo.environment)
        } catch {
            StandardStreams.writeError("\(path): invalid config\n\(error.description)\n")
            throw ExitCode.failure
        }
    }
}
