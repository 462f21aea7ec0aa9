import Logging

/// Decodes `log:`.
struct LogConfigDecoder {
    let reader: ConfigReader

    func decode(_ field: ConfigField?, at path: String) -> LogConfig {
        let fields = reader.fields(of: field, at: path, known: ["level", "format"])
        var log = LogConfig()
        // All of swift-log's levels are accepted, not only the five SPEC lists: the logger
        // understands them and operators coming from syslog expect notice and critical.
        if let level = fields["level"].flatMap({ reader.choice($0, named: "level", as: Logger.Level.self) }) {
            log.level = level
        }
        if let format = fields["format"].flatMap({ reader.choice($0, named: "format", as: LogFormat.self) }) {
            log.format = format
        }
        return log
    }
}
