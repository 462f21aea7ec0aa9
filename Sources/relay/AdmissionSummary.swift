import RelayCore

/// The lines `relay check-config` prints under its verdict: how much each backend takes at once
/// and how long and how many requests each model lets wait, defaults included, so what a config
/// admits can be read without knowing the defaults.
///
/// ```
///   backend llama-local: max_concurrency none
///   model smollm2: queue_timeout_s 30, max_queue 1000
/// ```
enum AdmissionSummary {
    static func lines(_ config: RelayConfig) -> [String] {
        let backends = config.backends.keys.sorted().compactMap { name in
            config.backends[name].map { "  backend \(name): " + describe($0) }
        }
        let models = config.models.keys.sorted().compactMap { name in
            config.models[name].map { "  model \(name): " + describe($0) }
        }
        return backends + models
    }

    static func describe(_ backend: BackendConfig) -> String {
        var parts = ["max_concurrency " + (backend.maxConcurrency == .max ? "none" : "\(backend.maxConcurrency)")]
        if let waiting = backend.busyWhenWaiting { parts.append("busy_when waiting \(waiting)") }
        return parts.joined(separator: ", ")
    }

    static func describe(_ model: ModelConfig) -> String {
        "queue_timeout_s \(seconds(model.queueTimeout)), max_queue \(model.maxQueue)"
    }

    /// `30`, `1.5`.
    private static func seconds(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? "\(Int(value))" : "\(value)"
    }
}
