import Logging
import NIOConcurrencyHelpers
import RelayRedis
import Synchronization

/// Keeps every key's limits in Redis, shared by all Relay replicas (SPEC §5, with `redis_url`).
///
/// Reserves and settles run in an atomic Lua script that takes its time from Redis
/// (`RedisRateLimitScripts`), so any number of replicas and any burst never admit more than a
/// limit in any 60 s span. Concurrent ones share a call (`RedisLimitBatcher`): one goes out at
/// once when Redis is idle, those arriving meanwhile go together in the next call, processed in
/// order with the decisions one script each would give. A batch may span several API keys, which
/// standalone Redis allows; a key's Redis keys share the hash tag `{name}`, so a later Cluster
/// mode can split batches by tag and keep each call on one node.
///
/// When Redis cannot be reached the limiter is *degraded*: with `failureMode: .open` it decides
/// on its in-process limiter (each replica then enforces the full limit on its own, so the
/// effective limit is multiplied by the replica count); with `.closed` it answers
/// `.unavailable` (503). While degraded it tries Redis again at most once per `probeInterval`,
/// and uses it again as soon as it answers, with no restart; `probe()` (run once a second by
/// `RedisProbe`) tells it the same with no request.
///
/// ```swift
/// let client = RedisClient(configuration: try RedisConfiguration(url: url), logger: logger)
/// let limiter = RedisRateLimiter(client: client, failureMode: .open, logger: logger)
/// let decision = await limiter.reserve(principal, estimatedTokens: 300)
/// readiness.redisDegraded = limiter.isDegraded       // /readyz, logs
/// metrics.redisErrors = limiter.redisErrorCount      // relay_redis_errors_total
/// ```
package final class RedisRateLimiter: RateLimiter {
    private let client: RedisClient
    private let failureMode: RateLimitFailureMode
    private let fallback: InProcessRateLimiter
    private let keyPrefix: String
    private let health: RedisHealth
    private let batcher: RedisLimitBatcher
    /// Each API key's Redis keys by its name, made on its first request and kept: the names
    /// come from the configuration, so there are as many as keys were ever configured. Behind
    /// a pthread lock, which ThreadSanitizer sees (it reported `Mutex`'s accesses as races).
    private let keyNames = NIOLockedValueBox<[String: RedisLimitKeys]>([:])
    private let slotPrefix =
        String(UInt64.random(in: .min ... .max), radix: 36) + String(UInt64.random(in: .min ... .max), radix: 36) + "-"
    private let slotCount = Atomic<UInt64>(0)

    /// - Parameters:
    ///   - fallback: decides while Redis is unreachable in `open` mode.
    ///   - keyPrefix: put before every Redis key (`relay:rl:{dev}:rpm`).
    ///   - slotLease: how long a `max_parallel` slot is held when its replica never settles it
    ///     (crashed, or Redis was away at settle time); longer than the longest request.
    ///   - probeInterval: while degraded, how often a request tries Redis again.
    package init(
        client: RedisClient,
        failureMode: RateLimitFailureMode,
        fallback: InProcessRateLimiter = InProcessRateLimiter(),
        keyPrefix: String = "relay:rl:",
        slotLease: Duration = .seconds(900),
        probeInterval: Duration = .seconds(1),
        logger: Logger
    ) {
        self.client = client
        self.failureMode = failureMode
        self.fallback = fallback
        self.keyPrefix = keyPrefix
        let health = RedisHealth(probeInterval: probeInterval, failureMode: failureMode, logger: logger)
        self.health = health
        self.batcher = RedisLimitBatcher(
            client: client,
            health: health,
            slotLeaseMilliseconds: max(1000, slotLease.components.seconds * 1000)
        )
    }

    /// `true` while Redis cannot be reached: limits are then kept in process (`open`) or every
    /// request is refused (`closed`). For `/readyz` and logs.
    var isDegraded: Bool { health.isDegraded }

    /// Redis commands that failed since start (`relay_redis_errors_total`).
    var redisErrorCount: Int { health.errorCount }

    /// Sends Redis a PING and records whether it answered, as a script call would: `RedisProbe`
    /// calls it in the background, so the limiter learns that Redis left or came back with no
    /// request running.
    func probe() async {
        do {
            _ = try await client.send(["PING"])
            health.recordSuccess()
        } catch {
            health.recordFailure(String(describing: error))
        }
    }

    package func reserve(_ principal: Principal, estimatedTokens: Int) async -> RateLimitDecision {
        let limits = principal.limits
        let cost = max(0, estimatedTokens)
        if limits.rpm == nil, limits.tpm == nil, limits.maxParallel == nil {
            return .admitted(Reservation(unlimitedFor: principal.name, tokens: cost, pool: .primary))
        }
        let slotID = limits.maxParallel != nil ? newSlotID() : nil
        let keys = redisKeys(of: principal.name)
        let operation = RedisLimitOperation.reserve(
            keys: keys,
            tokenKey: keys.tokens,
            rpm: limits.rpm,
            tpm: limits.tpm,
            maxParallel: limits.maxParallel,
            cost: cost,
            slotID: slotID
        )
        guard health.shouldTryRedis(), case .reserved(let answer) = await batcher.run(operation) else {
            return fallbackDecision { $0.reserveNow(principal, estimatedTokens: cost) }
        }
        return answer.decision(key: principal.name, cost: cost, limits: limits, slotID: slotID, pool: .primary)
    }

    package func reserveFallback(_ principal: Principal, estimatedTokens: Int) async -> RateLimitDecision {
        let cost = max(0, estimatedTokens)
        guard let limit = principal.fallbackTPM else {
            return .admitted(Reservation(unlimitedFor: principal.name, tokens: cost, pool: .fallback))
        }
        let keys = redisKeys(of: principal.name)
        // A reserve with only its token window in use, pointed at the fallback window.
        let operation = RedisLimitOperation.reserve(
            keys: keys,
            tokenKey: keys.fallbackTokens,
            rpm: nil,
            tpm: limit,
            maxParallel: nil,
            cost: cost,
            slotID: nil
        )
        guard health.shouldTryRedis(), case .reserved(let answer) = await batcher.run(operation) else {
            return fallbackDecision { $0.reserveFallbackNow(principal, estimatedTokens: cost) }
        }
        return answer.decision(
            key: principal.name,
            cost: cost,
            limits: Limits(tpm: limit),
            slotID: nil,
            pool: .fallback
        )
    }

    package func settle(_ reservation: Reservation, actualTokens: Int?) async {
        switch reservation.ledger {
        case .none: return
        case .inProcess: return fallback.settleNow(reservation, actualTokens: actualTokens)
        case .redis: break
        }
        let keys = redisKeys(of: reservation.key)
        let delta = reservation.chargedTokens.map { max(0, actualTokens ?? 0) - $0 } ?? 0
        // Nothing to correct and no slot to free: nothing for Redis to do.
        guard delta != 0 || reservation.slotID != nil else { return }
        // Settling is tried even while degraded: a lost settle would hold a `max_parallel`
        // slot until its lease ends. The client fails fast while it waits to reconnect.
        _ = await batcher.run(
            .settle(
                tokenKey: reservation.pool == .primary ? keys.tokens : keys.fallbackTokens,
                slotsKey: keys.slots,
                second: reservation.windowSecond,
                tokenCorrection: delta,
                slotID: reservation.slotID
            )
        )
    }

    private func redisKeys(of name: String) -> RedisLimitKeys {
        keyNames.withLockedValue { known in
            if let keys = known[name] { return keys }
            let keys = RedisLimitKeys(prefix: keyPrefix, name: name)
            known[name] = keys
            return keys
        }
    }

    private func fallbackDecision(_ decide: (InProcessRateLimiter) -> RateLimitDecision) -> RateLimitDecision {
        switch failureMode {
        case .open: decide(fallback)
        case .closed: .unavailable
        }
    }

    /// A slot's id: this limiter's random prefix and a count, so that ids never meet across
    /// replicas and restarts without asking the system for random bytes on every request.
    private func newSlotID() -> String {
        slotPrefix + String(slotCount.wrappingAdd(1, ordering: .relaxed).newValue, radix: 36)
    }
}
