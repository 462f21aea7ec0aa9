import Logging

/// A swift-log handler that writes Relay's structured lines to a `LogSink`, for the events that
/// are not access lines (startup, shutdown, problems).
struct StructuredLogHandler: LogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    private let sink: LogSink
    private let format: LogFormat

    init(sink: LogSink, level: Logger.Level, format: LogFormat) {
        self.sink = sink
        self.logLevel = level
        self.format = format
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var line = LogLine(level: event.level, message: event.message.description)
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        for key in merged.keys.sorted() {
            guard let value = merged[key] else { continue }
            switch value {
            case .stringConvertible(let number as Int): line.add(key, .int(number))
            case .stringConvertible(let number as Double): line.add(key, .double(number))
            case .stringConvertible(let flag as Bool): line.add(key, .bool(flag))
            case .array(let values): line.add(key, .strings(values.map(\.description)))
            default: line.add(key, .string(value.description))
            }
        }
        sink.emit(line.render(format))
    }
}
