import Logging
import NIOConcurrencyHelpers
import Synchronization

/// Whether the Redis limiter can reach Redis, with the error count and the probe schedule.
///
/// Logs once when Redis becomes unreachable and once when it is back, not at every failure.
final class RedisHealth: Sendable {
    private struct State {
        var isDegraded = false
        var nextProbe: ContinuousClock.Instant?
    }

    private let state = NIOLockedValueBox(State())
    private let errors = Atomic<Int>(0)
    private let probeInterval: Duration
    private let failureMode: RateLimitFailureMode
    private let logger: Logger

    init(probeInterval: Duration, failureMode: RateLimitFailureMode, logger: Logger) {
        self.probeInterval = probeInterval
        self.failureMode = failureMode
        self.logger = logger
    }

    var isDegraded: Bool { state.withLockedValue { $0.isDegraded } }
    var errorCount: Int { errors.load(ordering: .relaxed) }

    /// `true` when healthy, and for one caller per probe interval while degraded.
    func shouldTryRedis() -> Bool {
        state.withLockedValue { state in
            guard state.isDegraded else { return true }
            let now = ContinuousClock.now
            if let next = state.nextProbe, now < next { return false }
            state.nextProbe = now + probeInterval
            return true
        }
    }

    func recordSuccess() {
        let recovered = state.withLockedValue { state in
            defer { state = State() }
            return state.isDegraded
        }
        if recovered { logger.notice("Redis is reachable again; rate limits are shared again") }
    }

    func recordFailure(_ reason: String) {
        errors.add(1, ordering: .relaxed)
        let becameDegraded = state.withLockedValue { state in
            defer {
                state.isDegraded = true
                state.nextProbe = ContinuousClock.now + probeInterval
            }
            return !state.isDegraded
        }
        guard becameDegraded else { return }
        let consequence =
            switch failureMode {
            case .open: "rate limits are kept in process on each replica until it is back"
            case .closed: "requests are refused (503) until it is back"
            }
        logger.error("Redis is unreachable; \(consequence)", metadata: ["error": "\(reason)"])
    }
}
