import ArgumentParser
import RelayCore

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a config file and print every problem with its YAML path."
    )

    @OptionGroup var config: ConfigOption

    func run() throws {
        let loaded = try config.load()
        print(
            "\(config.path): valid (\(loaded.backends.count) backends, \(loaded.models.count) models, "
                + "\(loaded.apiKeys.count) api keys)"
        )
        for line in AdmissionSummary.lines(loaded) { print(line) }
    }
}
