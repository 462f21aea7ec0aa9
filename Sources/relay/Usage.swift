import ArgumentParser
import RelayCore

struct Usage: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print each key's quotas and budget: used, limit, remaining, and when each resets."
    )

    @OptionGroup var config: ConfigOption

    @Flag(help: "Print JSON, as GET /admin/usage answers, instead of a table.")
    var json = false

    func run() async throws {
        try await usage()
    }

    /// Named apart from `run()` so that `main.swift` can call it without landing on the
    /// synchronous `run()` every command also has.
    func usage() async throws {
        let loaded = try config.load()
        do {
            let report = try await QuotaUsageReader.report(config: loaded)
            if json {
                print(String(decoding: report.json(), as: UTF8.self))
            } else {
                print(report.table(), terminator: "")
            }
        } catch {
            StandardStreams.writeError("relay usage: \(error.reason)\n")
            throw ExitCode.failure
        }
    }
}
