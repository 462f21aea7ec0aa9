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

    /// What the window must answer, from a plain list of every charge: each counts, corrected
    /// by its adjustments, until 61 s after its second began.
    private struct Model {
        var charges: [(second: Int64, amount: Int)] = []

        func used(atMilliseconds now: Int64) -> Int {
            let oldest = SlidingWindow.second(ofMilliseconds: now) - SlidingWindow.liveSeconds + 1
            return charges.filter { $0.second >= oldest }.reduce(0) { $0 + $1.amount }
        }
    }

    @Test func usedMatchesEveryChargeStillCountedAsTimeGoesOn() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            var window = SlidingWindow()
            var model = Model()
            var now: Int64 = Int64.random(in: 0..<100_000, using: &generator)
            for _ in 0..<300 {
                // Mostly small steps within a second, sometimes a jump of seconds or minutes.
                switch Int.random(in: 0..<20, using: &generator) {
                case 0: now += Int64.random(in: 1_000..<130_000, using: &generator)
                case 1...4: now += Int64.random(in: 500..<3_000, using: &generator)
                default: now += Int64.random(in: 0..<50, using: &generator)
                }
                let second = SlidingWindow.second(ofMilliseconds: now)
                let amount = Int.random(in: 1..<100, using: &generator)
                window.charge(amount, atSecond: second)
                model.charges.append((second, amount))
                if Bool.random(using: &generator), let last = model.charges.indices.last {
                    // A settle: refund part of the latest charge, in its own bucket.
                    let refund = Int.random(in: 0...model.charges[last].amount, using: &generator)
                    window.adjust(chargedAt: model.charges[last].second, by: -refund, atMilliseconds: now)
                    model.charges[last].amount -= refund
                }
                #expect(window.used(atMilliseconds: now) == model.used(atMilliseconds: now))
                let later = now + Int64.random(in: 0..<70_000, using: &generator)
                #expect(window.used(atMilliseconds: later) == model.used(atMilliseconds: later))
            }
        }
    }
}
