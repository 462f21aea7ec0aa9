/// The gauges' values as read when `/metrics` is asked: each backend's, each model queue's.
struct GaugeReadings {
    struct BackendReading {
        var inFlight: Int
        var up: Bool
    }

    /// By backend name.
    package var backends: [String: BackendReading]
    /// Requests waiting, by model name.
    var queueDepths: [String: Int]
}
