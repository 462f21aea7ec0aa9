import Logging
import RelayRedis
import RelayTestSupport

@testable import RelayCore

/// A Redis limiter for tests, on its own client: keys under `prefix` (so tests can share one
/// server), quick to notice Redis leaving and coming back.
func redisTestLimiter(
    url: String,
    prefix: String,
    failureMode: RateLimitFailureMode = .open,
    fallback: InProcessRateLimiter = InProcessRateLimiter()
) throws -> (RedisRateLimiter, RedisClient) {
    let client = try testClient(url: url) {
        $0.commandTimeout = .seconds(2)
        $0.firstReconnectDelay = .milliseconds(10)
        $0.maxReconnectDelay = .milliseconds(50)
    }
    let limiter = RedisRateLimiter(
        client: client,
        failureMode: failureMode,
        fallback: fallback,
        keyPrefix: prefix,
        probeInterval: .milliseconds(50),
        logger: Logger(label: "relay.ratelimit.test")
    )
    return (limiter, client)
}
