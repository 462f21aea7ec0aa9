import Testing

@testable import RelayCore

/// The limiter's own clock counts real milliseconds from when it was made.
struct SystemRateLimitClockTests {
    @Test func countsMillisecondsFromItsStart() async throws {
        let clock = SystemRateLimitClock()
        let start = clock.nowMilliseconds()
        try await Task.sleep(for: .milliseconds(50))
        let later = clock.nowMilliseconds()
        #expect(start >= 0 && start < 1_000)
        // The upper bound only catches a unit mistake: a loaded machine may sleep far past 50 ms.
        #expect(later - start >= 50 && later - start < 60_000)
    }
}
