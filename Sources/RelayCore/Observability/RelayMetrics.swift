import CoreMetrics
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Prometheus
import RelayWire

/// The gateway's Prometheus metrics (SPEC §6), recorded through swift-metrics into this
/// gateway's own registry.
///
/// Label values come from config names only: a request is counted under `model="unknown"`,
/// `backend="none"`, `key="anonymous"` until those are known, so no client input can add series.
/// Gauges (`relay_backend_in_flight`, `relay_backend_up`) and the Redis error count are read
/// from the backends when scraped, so the request path pays nothing for them; a backend a
/// reload removed has no gauge series from the next scrape on.
///
/// ```swift
/// metrics.recordRequest(record)
/// let text = metrics.exposition(gauges: readings, redisErrors: 0)
/// ```
final class RelayMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    private let reportedRedisErrors = NIOLockedValueBox(0)
    /// The backends whose gauges the last exposition wrote: one a reload removed loses its
    /// series at the next scrape instead of showing its last values for good.
    private let exposedBackends = NIOLockedValueBox<Set<String>>([])
    /// The models whose queue depth the last exposition wrote, for the same reason.
    private let exposedQueues = NIOLockedValueBox<Set<String>>([])

    /// Seconds, from well under a request to a long generation.
    static let durationBuckets: [Duration] = [
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600,
    ].map { .milliseconds(Int64($0 * 1000)) }
    /// Relay's own share of a request: microseconds to milliseconds.
    static let overheadBuckets: [Duration] = [
        20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 50_000,
    ].map { .microseconds($0) }

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = [
            "relay_request_duration_seconds": Self.durationBuckets,
            "relay_time_to_first_token_seconds": Self.durationBuckets,
            "relay_overhead_seconds": Self.overheadBuckets,
            "relay_queue_wait_seconds": Self.durationBuckets,
        ]
        self.factory = factory
        self.overhead = Timer(label: "relay_overhead_seconds", factory: factory)
        let made = factory  // the closures below need a constant
        self.affinity = LabeledHandles { model, result in
            Counter(
                label: "relay_affinity_total", dimensions: [("model", model), ("result", result)], factory: made)
        }
        self.queueWait = LabeledHandles { model, _ in
            Timer(label: "relay_queue_wait_seconds", dimensions: [("model", model)], factory: made)
        }
        self.spend = LabeledHandles { key, model in
            FloatingPointCounter(
                label: "relay_spend_usd_total", dimensions: [("key", key), ("model", model)], factory: made)
        }
    }

    /// The metric handles one kind of finished request records into, each made on first use
    /// (a series appears in the exposition once it has been recorded into, as before caching).
    private struct Series: Sendable {
        var requests: CoreMetrics.Counter
        var duration: CoreMetrics.Timer?
        var timeToFirstToken: CoreMetrics.Timer?
        var promptTokens: CoreMetrics.Counter?
        var completionTokens: CoreMetrics.Counter?
    }

    private struct SeriesKey: Hashable, Sendable {
        let model: String
        let backend: String
        let key: String
        let status: Int
    }

    /// Handles by labels: looking a series up in the registry by name and labels costs more
    /// than the rest of the recording. Bounded, as the labels come from the config.
    private let series = NIOLockedValueBox<[SeriesKey: Series]>([:])
    private static let maxCachedSeries = 10_000

    /// The series each thread recorded into last. A gateway's requests mostly repeat a key, a
    /// model and a backend, and finding their series by its labels hashes three strings;
    /// comparing them with the last ones is a check of their storage when they are the
    /// config's own strings, as they are.
    private let lastSeries = ThreadSpecificVariable<LastSeries>()

    private final class LastSeries: Sendable {
        let key: SeriesKey
        let series: Series

        init(key: SeriesKey, series: Series) {
            self.key = key
            self.series = series
        }
    }
    private let overhead: CoreMetrics.Timer
    private let affinity: LabeledHandles<CoreMetrics.Counter>
    private let queueWait: LabeledHandles<CoreMetrics.Timer>
    private let spend: LabeledHandles<FloatingPointCounter>

    /// Everything one finished request contributes. Times are NIO's, recorded as nanoseconds:
    /// a `Duration` is split into seconds and attoseconds by 128-bit arithmetic on the way in.
    func recordRequest(
        model: String,
        backend: String,
        key: String,
        status: Int,
        duration: TimeAmount,
        timeToFirstToken: TimeAmount?,
        overhead: TimeAmount?,
        usage: Usage?
    ) {
        let seriesKey = SeriesKey(model: model, backend: backend, key: key, status: status)
        let last = lastSeries.currentValue.flatMap { $0.key == seriesKey ? $0.series : nil }
        let known = last ?? series.withLockedValue { $0[seriesKey] }
        var handles =
            known
            ?? Series(
                requests: Counter(
                    label: "relay_requests_total",
                    dimensions: [("model", model), ("backend", backend), ("key", key), ("status", String(status))],
                    factory: factory
                )
            )
        var made = known == nil
        handles.requests.increment()
        if let overhead { self.overhead.recordNanoseconds(overhead.nanoseconds) }
        if backend != "none" {
            func timer(_ handle: inout CoreMetrics.Timer?, _ label: String) -> CoreMetrics.Timer {
                if let handle { return handle }
                made = true
                let new = Timer(label: label, dimensions: [("model", model), ("backend", backend)], factory: factory)
                handle = new
                return new
            }
            func tokens(_ handle: inout CoreMetrics.Counter?, _ kind: String) -> CoreMetrics.Counter {
                if let handle { return handle }
                made = true
                let new = Counter(
                    label: "relay_tokens_total",
                    dimensions: [("model", model), ("key", key), ("kind", kind)],
                    factory: factory
                )
                handle = new
                return new
            }
            timer(&handles.duration, "relay_request_duration_seconds").recordNanoseconds(duration.nanoseconds)
            if let timeToFirstToken {
                timer(&handles.timeToFirstToken, "relay_time_to_first_token_seconds")
                    .recordNanoseconds(timeToFirstToken.nanoseconds)
            }
            if let usage, usage.promptTokens > 0 {
                tokens(&handles.promptTokens, "prompt").increment(by: usage.promptTokens)
            }
            if let usage, usage.completionTokens > 0 {
                tokens(&handles.completionTokens, "completion").increment(by: usage.completionTokens)
            }
        }
        if made {
            series.withLockedValue { cache in
                if cache.count < Self.maxCachedSeries || cache[seriesKey] != nil { cache[seriesKey] = handles }
            }
        }
        if made || last == nil { lastSeries.currentValue = LastSeries(key: seriesKey, series: handles) }
    }

    /// - Parameter limit: which limit, as `relay_rate_limited_total{limit}` names it.
    func recordRateLimited(key: String, limit: String) {
        Counter(
            label: "relay_rate_limited_total", dimensions: [("key", key), ("limit", limit)], factory: factory
        )
        .increment()
    }

    /// Whether a request with `balance: affinity` was served by its conversation's home backend.
    func recordAffinity(model: String, hit: Bool) {
        affinity.handle(model, hit ? "hit" : "moved").increment()
    }

    /// How long a request waited in its model's queue, whether it got a slot or not.
    func recordQueueWait(model: String, waited: TimeAmount) {
        queueWait.handle(model).recordNanoseconds(waited.nanoseconds)
    }

    /// What a call to a priced target cost, `relay_spend_usd_total{key, model}`.
    func recordSpend(key: String, model: String, microUSD: Int64) {
        guard microUSD > 0 else { return }
        spend.handle(key, model).increment(by: Double(microUSD) / 1_000_000)
    }

    /// What is left of a key's quota or budget in its current window,
    /// `relay_quota_remaining{key, quota}` (a budget's in USD).
    func recordQuotaRemaining(key: String, quota: String, remaining: Double) {
        Gauge(label: "relay_quota_remaining", dimensions: [("key", key), ("quota", quota)], factory: factory)
            .record(remaining)
    }

    func recordFallback(model: String, from: String, to: String, reason: String) {
        Counter(
            label: "relay_fallbacks_total",
            dimensions: [("model", model), ("from", from), ("to", to), ("reason", reason)],
            factory: factory
        ).increment()
    }

    /// The Prometheus text exposition, with the gauges as read now.
    func exposition(gauges: GaugeReadings, redisErrors: Int) -> [UInt8] {
        exposedBackends.withLockedValue { exposed in
            for name in exposed where gauges.backends[name] == nil {
                Gauge(label: "relay_backend_in_flight", dimensions: [("backend", name)], factory: factory).destroy()
                Gauge(label: "relay_backend_up", dimensions: [("backend", name)], factory: factory).destroy()
            }
            for (name, backend) in gauges.backends {
                Gauge(label: "relay_backend_in_flight", dimensions: [("backend", name)], factory: factory)
                    .record(backend.inFlight)
                Gauge(label: "relay_backend_up", dimensions: [("backend", name)], factory: factory)
                    .record(backend.up ? 1 : 0)
            }
            exposed = Set(gauges.backends.keys)
        }
        exposedQueues.withLockedValue { exposed in
            for model in exposed where gauges.queueDepths[model] == nil {
                Gauge(label: "relay_queue_depth", dimensions: [("model", model)], factory: factory).destroy()
            }
            for (model, depth) in gauges.queueDepths {
                Gauge(label: "relay_queue_depth", dimensions: [("model", model)], factory: factory).record(depth)
            }
            exposed = Set(gauges.queueDepths.keys)
        }
        let newErrors = reportedRedisErrors.withLockedValue { reported in
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
