import Benchmark
import Foundation
import Logging
import RelayCore
import RelayRedis
import Synchronization

/// The limiter's cost per request: one reserve at admission and one settle when the call ends,
/// in process and through Redis (the Redis one only when `RELAY_BENCH_REDIS_URL` names a server).
func limiterBenchmarks() {
    Benchmark(
        "limiter: in process, reserve + settle",
        closure: { benchmark, limiter in
            for _ in benchmark.scaledIterations { await reserveAndSettle(limiter) }
        },
        setup: { InProcessRateLimiter() }
    )

    guard let url = ProcessInfo.processInfo.environment["RELAY_BENCH_REDIS_URL"], !url.isEmpty else { return }
    Benchmark(
        "limiter: Redis, reserve + settle",
        closure: { benchmark, setup in
            for _ in benchmark.scaledIterations { await reserveAndSettle(setup.limiter) }
        },
        setup: { try await RedisSetup.make(url: url) },
        teardown: { await RedisSetup.shutdown() }
    )
}

/// A key with all three primary limits set, high enough never to reject during a run.
let limitedPrincipal: Principal = {
    var entry = APIKeyConfig(name: "bench", hash: .sha256(Array(repeating: 0, count: 32)), scopes: ["*"])
    entry.limits = Limits(rpm: 1_000_000_000, tpm: 1_000_000_000_000, maxParallel: 1_000)
    return Principal(entry, defaultLimits: nil)
}()

/// What the gateway does for each request: reserve the estimate (prompt + max tokens), then
/// settle to the real usage.
func reserveAndSettle(_ limiter: some RateLimiter) async {
    guard case .admitted(let reservation) = await limiter.reserve(limitedPrincipal, estimatedTokens: 304) else {
        fatalError("the limiter did not admit the request: is Redis still up?")
    }
    await limiter.settle(reservation, actualTokens: 117)
}

struct RedisSetup: Sendable {
    let limiter: RedisRateLimiter

    /// The client the running benchmark uses, to close it in teardown.
    private static let current = Mutex<RedisClient?>(nil)

    static func make(url: String) async throws -> RedisSetup {
        let client = RedisClient(configuration: try RedisConfiguration(url: url), logger: Logger(label: "bench"))
        current.withLock { $0 = client }
        // `closed`: a Redis failure surfaces as `.unavailable` instead of a silent in-process run.
        let limiter = RedisRateLimiter(client: client, failureMode: .closed, logger: Logger(label: "bench"))
        guard case .admitted(let reservation) = await limiter.reserve(limitedPrincipal, estimatedTokens: 1) else {
            throw SetupFailure("Redis at RELAY_BENCH_REDIS_URL did not admit a request")
        }
        await limiter.settle(reservation, actualTokens: 1)
        return RedisSetup(limiter: limiter)
    }

    static func shutdown() async {
        let client = current.withLock { client in
            defer { client = nil }
            return client
        }
        await client?.shutdown()
    }
}
