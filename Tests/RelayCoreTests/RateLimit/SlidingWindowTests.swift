import Testing

@testable import RelayCore

struct SlidingWindowTests {
    @Test func resetIsWhenTheLatestChargeStillCountedAgesOut() {
        var window = SlidingWindow()
        #expect(window.reset(atMilliseconds: 0) == 0)
        window.charge(5, atSecond: 10)
        window.charge(3, atSecond: 20)
        // The charge at second 20 counts until 81 s.
        #expect(window.reset(atMilliseconds: 20_500) == 60_500)
        // Refunded in full, the charge at second 20 no longer holds the window: the one at 10 does.
        window.adjust(chargedAt: 20, by: -3, atMilliseconds: 21_000)
        #expect(window.reset(atMilliseconds: 21_000) == 50_000)
        // Past 71 s nothing is counted.
        #expect(window.reset(atMilliseconds: 71_000) == 0)
    }

    @Test func resetSkipsALatestBucketThatWasReusedForAnEarlierSecond() {
        var window = SlidingWindow()
        window.charge(1, atSecond: 122)
        // A clock stepped back by 61 s lands in the same bucket: second 122 is gone from it.
        window.charge(1, atSecond: 61)
        #expect(window.reset(atMilliseconds: 61_000) == 61_000)
    }
}
