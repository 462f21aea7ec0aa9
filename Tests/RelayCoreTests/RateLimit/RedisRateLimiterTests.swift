import RelayRedis
import RelayTestSupport
import Testing

@testable import RelayCore
@testable import RelayWire

@Suite struct RedisRateLimiterTests {
    /// Each test's keys, so tests can share one server.
    let prefix = "relay-test:\(UInt64.random(in: 0 ... .max)):"

    func limiter(
        url: String,
        failureMode: RateLimitFailureMode = .open,
        fallback: InProcessRateLimiter = InProcessRateLimiter()
    ) throws -> (RedisRateLimiter, RedisClient) {
        try redisTestLimiter(url: url, prefix: prefix, failureMode: failureMode, fallback: fallback)
    }

    /// Two replicas share one Redis; 30 concurrent requests spread over both.
    func burst(
        over replicas: [RedisRateLimiter],
        principal: Principal,
        count: Int,
        tokens: Int
    ) async -> [RateLimitDecision] {
        await withTaskGroup(of: RateLimitDecision.self) { group in
            for index in 0..<count {
                let replica = replicas[index % replicas.count]
                group.addTask { await replica.reserve(principal, estimatedTokens: tokens) }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
    }

    @Test func twoReplicasNeverAdmitMoreThanRPMTogether() async throws {
        let url = try RedisTestServer.sharedURL()
        let (first, firstClient) = try limiter(url: url)
        let (second, secondClient) = try limiter(url: url)
        let started = ContinuousClock.now
        let decisions = await burst(over: [first, second], principal: testPrincipal(rpm: 10), count: 30, tokens: 0)
        #expect(decisions.compactMap(\.reservation).count == 10)
        let rejections = decisions.compactMap(\.rejection)
        #expect(rejections.count == 20)
        // The first admission leaves the window 60 s after it was made: on a busy machine the
        // burst itself may take a second or more.
        let waited = Int((ContinuousClock.now - started).components.seconds)
        #expect(
            rejections.allSatisfy {
                $0.limit == .rpm && $0.canEverFit && (60 - waited - 1...60).contains($0.retryAfterSeconds)
            })
        #expect(rejections.allSatisfy { $0.snapshot.requests?.remaining == 0 })
        await firstClient.shutdown()
        await secondClient.shutdown()
    }

    @Test func twoReplicasNeverAdmitMoreThanTPMTogether() async throws {
        let url = try RedisTestServer.sharedURL()
        let (first, firstClient) = try limiter(url: url)
        let (second, secondClient) = try limiter(url: url)
        let decisions = await burst(over: [first, second], principal: testPrincipal(tpm: 1000), count: 30, tokens: 100)
        #expect(decisions.compactMap(\.reservation).count == 10)
        #expect(decisions.compactMap(\.rejection).allSatisfy { $0.limit == .tpm })
        await firstClient.shutdown()
        await secondClient.shutdown()
    }

    @Test func settlingRefundsThroughRedis() async throws {
        let (limiter, client) = try limiter(url: try RedisTestServer.sharedURL())
        let key = testPrincipal(tpm: 300)
        let started = ContinuousClock.now
        let reservation = try #require(await limiter.reserve(key, estimatedTokens: 250).reservation)
        #expect(reservation.snapshot.tokens?.remaining == 50)
        #expect(reservation.snapshot.tokens.map { $0.reset == .seconds(60) } == true)
        let rejection = try #require(await limiter.reserve(key, estimatedTokens: 100).rejection)
        #expect(rejection.limit == .tpm)
        // The reservation leaves the window 60 s after it was made: on a busy machine a second
        // or more may have passed since then.
        let waited = Int((ContinuousClock.now - started).components.seconds)
        #expect((60 - waited - 1...60).contains(rejection.retryAfterSeconds))

        await limiter.settle(reservation, usage: Usage(promptTokens: 30, completionTokens: 10))
        let next = try #require(await limiter.reserve(key, estimatedTokens: 100).reservation)
        #expect(next.snapshot.tokens?.remaining == 160)
        await limiter.settle(next, actualTokens: nil)
        #expect(await limiter.reserve(key, estimatedTokens: 260).reservation != nil)
        #expect(await limiter.reserve(key, estimatedTokens: 301).rejection?.canEverFit == false)
        await client.shutdown()
    }

    @Test func parallelSlotsAreSharedAndFreedBySettle() async throws {
        let url = try RedisTestServer.sharedURL()
        let (first, firstClient) = try limiter(url: url)
        let (second, secondClient) = try limiter(url: url)
        let key = testPrincipal(maxParallel: 1)
        let held = try #require(await first.reserve(key, estimatedTokens: 1).reservation)
        let rejection = try #require(await second.reserve(key, estimatedTokens: 1).rejection)
        #expect(rejection.limit == .parallel)
        #expect(rejection.retryAfterSeconds == 1)
        await first.settle(held, actualTokens: 1)
        #expect(await second.reserve(key, estimatedTokens: 1).reservation != nil)
        await firstClient.shutdown()
        await secondClient.shutdown()
    }

    @Test func fallbackTokensHaveTheirOwnWindow() async throws {
        let (limiter, client) = try limiter(url: try RedisTestServer.sharedURL())
        let key = testPrincipal(tpm: 1000, fallbackTPM: 100)
        let fallback = try #require(await limiter.reserveFallback(key, estimatedTokens: 80).reservation)
        #expect(fallback.pool == .fallback)
        #expect(fallback.snapshot.tokens?.remaining == 20)
        #expect(await limiter.reserveFallback(key, estimatedTokens: 30).rejection?.limit == .fallbackTPM)
        #expect(await limiter.reserve(key, estimatedTokens: 1000).reservation != nil)
        await limiter.settle(fallback, actualTokens: 10)
        #expect(await limiter.reserveFallback(key, estimatedTokens: 90).reservation != nil)
        await client.shutdown()
    }

    @Test func openModeFallsBackWhileRedisIsAwayAndComesBack() async throws {
        let server = try RedisTestServer()
        defer { server.stop() }
        let (limiter, client) = try limiter(url: server.url, failureMode: .open)
        let key = testPrincipal(rpm: 100)
        let shared = try #require(await limiter.reserve(key, estimatedTokens: 0).reservation)
        #expect(!limiter.isDegraded)

        server.stop()
        let local = try #require(await limiter.reserve(key, estimatedTokens: 0).reservation)
        #expect(limiter.isDegraded)
        #expect(limiter.redisErrorCount >= 1)
        // In process, the window starts empty: each replica enforces the full limit on its own.
        #expect(local.snapshot.requests?.remaining == 99)
        await limiter.settle(local, actualTokens: 5)
        await limiter.settle(shared, actualTokens: 5)  // Redis is away: counted, not fatal

        try server.start()
        var recovered = false
        for _ in 0..<100 where !recovered {
            try await Task.sleep(for: .milliseconds(20))
            _ = await limiter.reserve(key, estimatedTokens: 0)
            recovered = !limiter.isDegraded
        }
        #expect(recovered)
        await client.shutdown()
    }

    @Test func closedModeRefusesWhileRedisIsAway() async throws {
        let server = try RedisTestServer()
        defer { server.stop() }
        let (limiter, client) = try limiter(url: server.url, failureMode: .closed)
        let key = testPrincipal(rpm: 100)
        #expect(await limiter.reserve(key, estimatedTokens: 0).reservation != nil)
        server.stop()
        #expect(await limiter.reserve(key, estimatedTokens: 0) == .unavailable)
        #expect(await limiter.reserveFallback(testPrincipal(fallbackTPM: 10), estimatedTokens: 1) == .unavailable)
        #expect(limiter.isDegraded)
        // Keys without limits need no Redis at all.
        #expect(await limiter.reserve(testPrincipal("free"), estimatedTokens: 0).reservation != nil)
        await client.shutdown()
    }
}
