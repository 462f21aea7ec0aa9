import ServiceLifecycle

/// Asks Redis for a PING once an `interval` while limits are shared there, so whether Redis can
/// be reached (`/readyz`, the `Redis is unreachable` / `reachable again` logs) follows Redis
/// itself, not only the requests that run a script. Without it a replica in `closed` mode that
/// turned unready would never learn that Redis was back: an unready replica gets no requests.
struct RedisProbe: Service {
    let limiter: RedisRateLimiter
    var interval: Duration = .seconds(1)

    package func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await limiter.probe()
                try? await Task.sleep(for: interval)
            }
        }
    }
}
