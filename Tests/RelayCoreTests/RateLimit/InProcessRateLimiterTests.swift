import Testing

@testable import RelayCore
@testable import RelayWire

@Suite struct InProcessRateLimiterTests {
    let clock = ManualRateLimitClock()

    var limiter: InProcessRateLimiter { InProcessRateLimiter(clock: clock) }

    @Test func admitsUpToRPMThenTellsWhenTheOldestRequestAgesOut() async throws {
        let limiter = self.limiter
        let key = testPrincipal(rpm: 2)
        clock.set(seconds: 10.2)
        #expect(await limiter.reserve(key, estimatedTokens: 0).reservation != nil)
        clock.set(seconds: 30)
        #expect(await limiter.reserve(key, estimatedTokens: 0).reservation != nil)

        clock.set(seconds: 40)
        let rejection = try #require(await limiter.reserve(key, estimatedTokens: 0).rejection)
        #expect(rejection.limit == .rpm)
        #expect(rejection.canEverFit)
        // The request at 10.2 s counts until 70.2 s: 30.2 s from now.
        #expect(rejection.retryAfterSeconds == 31)
        #expect(rejection.snapshot.requests == WindowSnapshot(limit: 2, remaining: 0, reset: .seconds(50)))

        clock.set(seconds: 70.1)
        #expect(await limiter.reserve(key, estimatedTokens: 0).rejection?.retryAfterSeconds == 1)
        clock.set(seconds: 70.2)
        #expect(await limiter.reserve(key, estimatedTokens: 0).reservation != nil)
    }

    @Test func noEdgeBurstAcrossMinuteBoundaries() async {
        let limiter = self.limiter
        let key = testPrincipal(rpm: 10)
        clock.set(seconds: 59.9)
        for _ in 0..<10 { #expect(await limiter.reserve(key, estimatedTokens: 0).reservation != nil) }
        // A fixed window would start afresh at 60 s; a sliding one waits until 59.9 s + 60 s.
        for second in [60.0, 61, 90, 119.5] {
            clock.set(seconds: second)
            #expect(await limiter.reserve(key, estimatedTokens: 0).rejection?.limit == .rpm)
        }
        clock.set(seconds: 120)
        #expect(await limiter.reserve(key, estimatedTokens: 0).reservation != nil)
    }

    /// Requests arrive at random moments for ten minutes; in every 60 s span ending at an
    /// admission, at most `rpm` requests were admitted.
    @Test func anySixtySecondSpanHoldsAtMostRPM() async {
        let limiter = self.limiter
        let key = testPrincipal(rpm: 7)
        var generator = SplitMix64(seed: 42)
        var admittedAt: [Int64] = []
        var now: Int64 = 0
        while now < 600_000 {
            now += Int64(generator.next() % 4_000)
            clock.advance(milliseconds: now - clock.nowMilliseconds())
            if await limiter.reserve(key, estimatedTokens: 0).reservation != nil { admittedAt.append(now) }
        }
        for (index, time) in admittedAt.enumerated() {
            let inSpan = admittedAt[...index].filter { $0 >= time - 60_000 }.count
            #expect(inSpan <= 7, "\(inSpan) admissions in the 60 s before \(time) ms")
        }
        #expect(admittedAt.count >= 60)  // and it does admit: about 7 a minute for 10 minutes
    }

    @Test func aConcurrentBurstNeverExceedsRPM() async {
        let limiter = InProcessRateLimiter()
        let key = testPrincipal(rpm: 10)
        let admitted = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<200 {
                group.addTask { await limiter.reserve(key, estimatedTokens: 0).reservation != nil }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(admitted == 10)
    }

    @Test func settlingRefundsTheTokensNotUsed() async throws {
        let limiter = self.limiter
        let key = testPrincipal(tpm: 300)
        clock.set(seconds: 5)
        let reservation = try #require(await limiter.reserve(key, estimatedTokens: 250).reservation)
        #expect(reservation.snapshot.tokens?.remaining == 50)

        clock.set(seconds: 20.5)
        let rejection = try #require(await limiter.reserve(key, estimatedTokens: 100).rejection)
        #expect(rejection.limit == .tpm)
        #expect(rejection.canEverFit)
        #expect(rejection.retryAfterSeconds == 45)  // the charge at 5 s ages out at 65 s

        await limiter.settle(reservation, usage: Usage(promptTokens: 30, completionTokens: 10))
        let next = try #require(await limiter.reserve(key, estimatedTokens: 100).reservation)
        #expect(next.snapshot.tokens?.remaining == 160)
    }

    @Test func settlingWithoutUsageRefundsEverything() async throws {
        let limiter = self.limiter
        let key = testPrincipal(tpm: 300)
        let reservation = try #require(await limiter.reserve(key, estimatedTokens: 300).reservation)
        #expect(await limiter.reserve(key, estimatedTokens: 1).rejection != nil)
        await limiter.settle(reservation, actualTokens: nil)
        #expect(await limiter.reserve(key, estimatedTokens: 300).reservation != nil)
    }

    @Test func settlingAboveTheEstimateChargesTheDifference() async throws {
        let limiter = self.limiter
        let key = testPrincipal(tpm: 300)
        let reservation = try #require(await limiter.reserve(key, estimatedTokens: 100).reservation)
        await limiter.settle(reservation, actualTokens: 250)
        #expect(await limiter.reserve(key, estimatedTokens: 51).rejection?.limit == .tpm)
        #expect(await limiter.reserve(key, estimatedTokens: 50).reservation != nil)
    }

    @Test func aCostAboveTheLimitCanNeverFit() async throws {
        let limiter = self.limiter
        let rejection = try #require(await limiter.reserve(testPrincipal(tpm: 300), estimatedTokens: 301).rejection)
        #expect(rejection.limit == .tpm)
        #expect(!rejection.canEverFit)
        #expect(rejection.retryAfterSeconds >= 1)

        let zeroRPM = try #require(await limiter.reserve(testPrincipal("z", rpm: 0), estimatedTokens: 0).rejection)
        #expect(zeroRPM.limit == .rpm)
        #expect(!zeroRPM.canEverFit)
    }

    @Test func theLongestWaitNamesTheLimit() async throws {
        let limiter = self.limiter
        let key = testPrincipal(rpm: 2, tpm: 100)
        clock.set(seconds: 0)
        _ = await limiter.reserve(key, estimatedTokens: 90)
        clock.set(seconds: 30)
        _ = await limiter.reserve(key, estimatedTokens: 0)
        clock.set(seconds: 40)
        // rpm frees at 60 s (20 s), tpm at 60 s too; with 20 tokens tpm also waits until 60 s.
        let rejection = try #require(await limiter.reserve(key, estimatedTokens: 20).rejection)
        #expect(rejection.retryAfterSeconds == 20)
        #expect(rejection.snapshot.tokens?.remaining == 10)
    }

    @Test func parallelSlotsAreHeldUntilSettled() async throws {
        let limiter = self.limiter
        let key = testPrincipal(maxParallel: 2)
        let first = try #require(await limiter.reserve(key, estimatedTokens: 10).reservation)
        _ = try #require(await limiter.reserve(key, estimatedTokens: 10).reservation)
        let rejection = try #require(await limiter.reserve(key, estimatedTokens: 10).rejection)
        #expect(rejection.limit == .parallel)
        #expect(rejection.retryAfterSeconds == 1)
        #expect(rejection.canEverFit)
        await limiter.settle(first, actualTokens: 5)
        #expect(await limiter.reserve(key, estimatedTokens: 10).reservation != nil)
    }

    @Test func fallbackTokensAreASeparateBudget() async throws {
        let limiter = self.limiter
        let key = testPrincipal(tpm: 1000, fallbackTPM: 100)
        let primary = try #require(await limiter.reserve(key, estimatedTokens: 80).reservation)
        let fallback = try #require(await limiter.reserveFallback(key, estimatedTokens: 80).reservation)
        #expect(fallback.pool == .fallback)
        #expect(fallback.snapshot.tokens == WindowSnapshot(limit: 100, remaining: 20, reset: .seconds(60)))

        let rejection = try #require(await limiter.reserveFallback(key, estimatedTokens: 30).rejection)
        #expect(rejection.limit == .fallbackTPM)
        #expect(rejection.canEverFit)
        #expect(await limiter.reserveFallback(key, estimatedTokens: 101).rejection?.canEverFit == false)
        // The primary budget is untouched by fallback spending.
        #expect(await limiter.reserve(key, estimatedTokens: 900).reservation != nil)

        await limiter.settle(fallback, actualTokens: nil)
        #expect(await limiter.reserveFallback(key, estimatedTokens: 100).reservation != nil)
        await limiter.settle(primary, actualTokens: 80)

        let noFallbackLimit = testPrincipal("other", tpm: 10)
        #expect(await limiter.reserveFallback(noFallbackLimit, estimatedTokens: 10_000).reservation != nil)
    }

    @Test func memoryIsBoundedByKeysNotTraffic() async {
        let limiter = self.limiter
        let keys = (0..<3).map { testPrincipal("key\($0)", rpm: 1_000_000, tpm: 1_000_000_000, fallbackTPM: 1000) }
        for step in 0..<6_000 {
            clock.advance(milliseconds: 31)
            let key = keys[step % keys.count]
            if let reservation = await limiter.reserve(key, estimatedTokens: 100).reservation {
                await limiter.settle(reservation, actualTokens: 50)
            }
        }
        #expect(limiter.trackedKeyCount == 3)
        // Once every window has aged out, nothing is kept at all.
        clock.advance(milliseconds: 62_000)
        for key in keys { _ = await limiter.reserve(testPrincipal(key.name), estimatedTokens: 1) }
        #expect(limiter.trackedKeyCount == 0)
    }

    @Test func admittedReservationsCarryTheHeaderState() async throws {
        let limiter = self.limiter
        clock.set(seconds: 100.25)
        let reservation = try #require(
            await limiter.reserve(testPrincipal(rpm: 60, tpm: 1000), estimatedTokens: 300).reservation
        )
        #expect(reservation.snapshot.requests == WindowSnapshot(limit: 60, remaining: 59, reset: .seconds(60)))
        #expect(reservation.snapshot.tokens == WindowSnapshot(limit: 1000, remaining: 700, reset: .seconds(60)))
        #expect(reservation.snapshot.headLines.contains("\r\nx-ratelimit-reset-tokens: 1m0s\r\n"))
    }

    @Test func unlimitedLimiterAdmitsEverything() async {
        let limiter = UnlimitedRateLimiter()
        let key = testPrincipal(rpm: 0, tpm: 0)
        let reservation = await limiter.reserve(key, estimatedTokens: 1_000_000).reservation
        #expect(reservation?.tokens == 1_000_000)
        #expect(await limiter.reserveFallback(key, estimatedTokens: 5).reservation != nil)
        if let reservation { await limiter.settle(reservation, actualTokens: nil) }
    }
}

/// A small deterministic random generator, so a failing run can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}
