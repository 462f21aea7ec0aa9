import Logging
import RelayRedis
import Synchronization

/// Keeps every key's limits in Redis, shared by all Relay replicas (SPEC §5, with `redis_url`).
///
/// Each `reserve` and each `settle` is one atomic Lua script that takes its time from Redis
/// (`RedisRateLimitScripts`), so any number of replicas and any burst never admit more than a
/// limit in any 60 s span. A key's Redis keys share the hash tag `{name}`, so a later Cluster
/// mode can keep each script on one node.
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
    private let slotLeaseMilliseconds: Int64
    private let health: RedisHealth

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
        self.slotLeaseMilliseconds = max(1000, slotLease.components.seconds * 1000)
        self.health = RedisHealth(probeInterval: probeInterval, failureMode: failureMode, logger: logger)
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
        let slotID = limits.maxParallel != nil ? Self.newSlotID() : nil
        let keys = RedisLimitKeys(prefix: keyPrefix, name: principal.name)
        let arguments = [
            String(limits.rpm ?? -1), String(limits.tpm ?? -1), String(limits.maxParallel ?? -1),
            String(cost), slotID ?? "", String(slotLeaseMilliseconds),
        ]
        guard
            let reply = await runScript(
                RedisRateLimitScripts.reserve,
                keys: [keys.requests, keys.tokens, keys.slots],
                arguments: arguments
            )
        else { return fallbackDecision { $0.reserveNow(principal, estimatedTokens: cost) } }
        guard let answer = ReserveAnswer(reply) else {
            health.recordFailure("unexpected reply to the reserve script")
            return fallbackDecision { $0.reserveNow(principal, estimatedTokens: cost) }
        }
        return answer.decision(key: principal.name, cost: cost, limits: limits, slotID: slotID, pool: .primary)
    }

    package func reserveFallback(_ principal: Principal, estimatedTokens: Int) async -> RateLimitDecision {
        let cost = max(0, estimatedTokens)
        guard let limit = principal.fallbackTPM else {
            return .admitted(Reservation(unlimitedFor: principal.name, tokens: cost, pool: .fallback))
        }
        let keys = RedisLimitKeys(prefix: keyPrefix, name: principal.name)
        // The reserve script with only its token window in use, pointed at the fallback window.
        let arguments = ["-1", String(limit), "-1", String(cost), "", String(slotLeaseMilliseconds)]
        guard
            let reply = await runScript(
                RedisRateLimitScripts.reserve,
                keys: [keys.requests, keys.fallbackTokens, keys.slots],
                arguments: arguments
            )
        else { return fallbackDecision { $0.reserveFallbackNow(principal, estimatedTokens: cost) } }
        guard let answer = ReserveAnswer(reply) else {
            health.recordFailure("unexpected reply to the reserve script")
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
        let keys = RedisLimitKeys(prefix: keyPrefix, name: reservation.key)
        let delta = reservation.chargedTokens.map { max(0, actualTokens ?? 0) - $0 } ?? 0
        let tokenKey = reservation.pool == .primary ? keys.tokens : keys.fallbackTokens
        // Settling is tried even while degraded: a lost settle would hold a `max_parallel`
        // slot until its lease ends. The client fails fast while it waits to reconnect.
        _ = await runScript(
            RedisRateLimitScripts.settle,
            keys: [tokenKey, keys.slots],
            arguments: [String(reservation.windowSecond), String(delta), reservation.slotID ?? ""],
            evenWhileDegraded: true
        )
    }

    /// The script's reply, or `nil` after recording why Redis could not answer.
    private func runScript(
        _ script: RedisScript,
        keys: [String],
        arguments: [String],
        evenWhileDegraded: Bool = false
    ) async -> RESPValue? {
        guard evenWhileDegraded || health.shouldTryRedis() else { return nil }
        do {
            let reply = try await client.run(script, keys: keys, arguments: arguments)
            health.recordSuccess()
            return reply
        } catch {
            health.recordFailure(String(describing: error))
            return nil
        }
    }

    private func fallbackDecision(_ decide: (InProcessRateLimiter) -> RateLimitDecision) -> RateLimitDecision {
        switch failureMode {
        case .open: decide(fallback)
        case .closed: .unavailable
        }
    }

    private static func newSlotID() -> String {
        String(UInt64.random(in: .min ... .max), radix: 36) + String(UInt64.random(in: .min ... .max), radix: 36)
    }
}
