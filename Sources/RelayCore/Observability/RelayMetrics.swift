import CoreMetrics
import Prometheus
import Synchronization

/// The gateway's Prometheus metrics (SPEC §6), recorded through swift-metrics into this
/// gateway's own registry.
///
/// Label values come from config names only: a request is counted under `model="unknown"`,
/// `backend="none"`, `key="anonymous"` until those are known, so no client input can add series.
/// Gauges (`relay_backend_in_flight`, `relay_backend_up`) and the Redis error count are read
/// from the backends when scraped, so the request path pays nothing for them.
///
/// ```swift
/// metrics.recordRequest(record)
/// let text = metrics.exposition(state: gateway.state, redisErrors: 0)
/// ```
public final class RelayMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    private let reportedRedisErrors = Mutex(0)

    /// Seconds, from well under a request to a long generation.
    static let durationBuckets: [Duration] = [
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600,
    ].map { .milliseconds(Int64($0 * 1000)) }
    /// Relay's own share of a request: microseconds to milliseconds.
    static let overheadBuckets: [Duration] = [
        20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 50_000,
    ].map { .microseconds($0) }

    public init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = [
            "relay_request_duration_seconds": Self.durationBuckets,
            "relay_time_to_first_token_seconds": Self.durationBuckets,
            "relay_overhead_seconds": Self.overheadBuckets,
        ]
        self.factory = factory
    }

    /// Everything one finished request contributes.
    func recordRequest(
        model: String,
        backend: String,
        key: String,
        status: Int,
        duration: Duration,
        timeToFirstToken: Duration?,
        overhead: Duration?,
        usage: Usage?
    ) {
        Counter(
            label: "relay_requests_total",
            dimensions: [("model", model), ("backend", backend), ("key", key), ("status", String(status))],
            factory: factory
        ).increment()
        guard backend != "none" else {
            if let overhead { Timer(label: "relay_overhead_seconds", factory: factory).record(duration: overhead) }
            return
        }
        let modelAndBackend = [("model", model), ("backend", backend)]
        Timer(label: "relay_request_duration_seconds", dimensions: modelAndBackend, factory: factory).record(
            duration: duration)
        if let timeToFirstToken {
            Timer(label: "relay_time_to_first_token_seconds", dimensions: modelAndBackend, factory: factory)
                .record(duration: timeToFirstToken)
        }
        if let overhead { Timer(label: "relay_overhead_seconds", factory: factory).record(duration: overhead) }
        if let usage {
            for (kind, count) in [("prompt", usage.promptTokens), ("completion", usage.completionTokens)]
            where count > 0 {
                Counter(
                    label: "relay_tokens_total",
                    dimensions: [("model", model), ("key", key), ("kind", kind)],
                    factory: factory
                ).increment(by: count)
            }
        }
    }

    func recordRateLimited(key: String, limit: RateLimitKind) {
        Counter(
            label: "relay_rate_limited_total", dimensions: [("key", key), ("limit", limit.rawValue)], factory: factory
        )
        .increment()
    }

    func recordFallback(model: String, from: String, to: String, reason: String) {
        Counter(
            label: "relay_fallbacks_total",
            dimensions: [("model", model), ("from", from), ("to", to), ("reason", reason)],
            factory: factory
        ).increment()
    }

    /// The Prometheus text exposition, with the gauges read from the backends now.
    func exposition(state: GatewayState, redisErrors: Int) -> [UInt8] {
        for (name, backend) in state.backends {
            Gauge(label: "relay_backend_in_flight", dimensions: [("backend", name)], factory: factory)
                .record(backend.inFlight)
            Gauge(label: "relay_backend_up", dimensions: [("backend", name)], factory: factory)
                .record(backend.circuit.isOpen ? 0 : 1)
        }
        let newErrors = reportedRedisErrors.withLock { reported in
            defer { reported = max(reported, redisErrors) }
            return max(0, redisErrors - reported)
        }
        let redisCounter = Counter(label: "relay_redis_errors_total", factory: factory)
        if newErrors > 0 { redisCounter.increment(by: newErrors) }
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}
