import HTTPTypes
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// The running gateway: the current config state, the limiter, readiness and logging, shared by
/// every request.
final class Gateway: Sendable {
    private let current: NIOLockedValueBox<GatewayState>
    let limiter: any RateLimiter
    /// Set when limits are shared through Redis: its health decides `/readyz` in `closed` mode.
    let redisLimiter: RedisRateLimiter?
    /// Set when limits are kept in this process (the default): called without suspending
    /// (`Gateway+Limits`).
    let inProcessLimiter: InProcessRateLimiter?
    /// Stored Responses (`previous_response_id`, `GET /v1/responses/{id}`): in process, or in
    /// Redis beside the limits. Kept across config reloads, as the limits are.
    let responses: any ResponseStore
    /// Quota and budget counters (SPEC §10): in Redis, or in this process written to
    /// `state_path`; nil when no key has `quotas` or a `budget`.
    let quotas: (any QuotaStore)?
    let readiness = Readiness()
    let metrics = RelayMetrics()
    /// Bodies each key has arriving at once (`max_parallel` bounds them before limits can).
    let bodyReads = BodyReadGate()
    let sink: LogSink
    let logFormat: LogFormat
    /// `log.level` at start: access lines below it are not written (their metrics still count).
    let logLevel: Logger.Level

    init(
        state: GatewayState,
        limiter: any RateLimiter,
        responses: (any ResponseStore)? = nil,
        quotas: (any QuotaStore)? = nil,
        sink: LogSink
    ) {
        self.current = NIOLockedValueBox(state)
        self.quotas = quotas
        self.limiter = limiter
        let config = state.config
        self.responses =
            responses
            ?? InProcessResponseStore(
                ttl: config.responsesTTL, maxStored: config.responsesMaxStored, maxBytes: config.responsesMaxBytes)
        self.redisLimiter = limiter as? RedisRateLimiter
        self.inProcessLimiter = limiter as? InProcessRateLimiter
        self.sink = sink
        self.logFormat = state.config.log.format
        self.logLevel = state.config.log.level
    }

    /// The config state requests start with; a request keeps the one it started with.
    var state: GatewayState { current.withLockedValue { $0 } }

    /// Swaps in a new state; returns the one it replaced.
    func replaceState(_ next: GatewayState) -> GatewayState {
        current.withLockedValue { state in
            defer { state = next }
            return state
        }
    }

    /// Where limits are kept, for `/readyz`.
    var rateLimitStore: String {
        guard let redisLimiter else { return "in_process" }
        return redisLimiter.isDegraded ? "redis_unreachable" : "redis"
    }

    /// In `closed` mode an unreachable Redis refuses every request, so the replica is not ready.
    var isReady: Bool {
        guard !readiness.isDraining else { return false }
        guard let redisLimiter, state.config.rateLimitFailureMode == .closed else { return true }
        return !redisLimiter.isDegraded
    }

    /// Ends a request's record: its one access line (at `info`, `error` for a 5xx, written when
    /// `log.level` lets that level through) and its metrics.
    func logAccess(_ record: AccessRecord) {
        let end = NIODeadline.now()
        let level: Logger.Level = record.status >= 500 ? .error : .info
        if level >= logLevel {
            if logFormat == .json {
                record.emitJSON(to: sink, at: end)
            } else {
                sink.emit(record.line(at: end).render(logFormat))
            }
        }
        metrics.recordRequest(
            model: record.model,
            backend: record.backend,
            key: record.key,
            status: record.status,
            duration: end - record.start,
            timeToFirstToken: record.firstTokenAt.map { $0 - record.start },
            overhead: record.overhead,
            usage: record.usage
        )
    }

    /// `/metrics`: the Prometheus text exposition.
    func metricsExposition() -> [UInt8] {
        let state = state
        let gauges = GaugeReadings(
            backends: state.backends.mapValues { .init(inFlight: $0.inFlight, up: !$0.circuit.isOpen) },
            queueDepths: state.queues.mapValues(\.depth)
        )
        return metrics.exposition(gauges: gauges, redisErrors: redisLimiter?.redisErrorCount ?? 0)
    }
}
