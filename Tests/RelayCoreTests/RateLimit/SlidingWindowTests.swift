import Testing

@testable import RelayCore

struct SlidingWindowTests {
    @Test func resetIsWhenTheLatestChargeStillCountedAgesOut() {
        var window = SlidingWindow()
        #expect(window.reset(atMilliseconds: 0) == 0)
        window.charge(5, atMilliseconds: 10_000)
        window.charge(3, atMilliseconds: 20_000)
        // The charge at 20 s counts until 80 s.
        #expect(window.reset(atMilliseconds: 20_500) == 59_500)
        // Refunded in full, the charge at second 20 no longer holds the window: the one at 10 does.
        window.adjust(chargedAt: 20, by: -3, atMilliseconds: 21_000)
        #expect(window.reset(atMilliseconds: 21_000) == 49_000)
        // From 70 s nothing is counted.
        #expect(window.reset(atMilliseconds: 70_000) == 0)
    }

    @Test func resetSkipsALatestBucketThatWasReusedForAnEarlierSecond() {
        var window = SlidingWindow()
        window.charge(1, atMilliseconds: 122_000)
        // A clock stepped back by 61 s lands in the same bucket: second 122 is gone from it.
        window.charge(1, atMilliseconds: 61_000)
        #expect(window.reset(atMilliseconds: 61_000) == 60_000)
    }

    @Test func aChargeCountsSixtySecondsFromTheLatestInItsSecond() {
        var window = SlidingWindow()
        window.charge(1, atMilliseconds: 5_100)
        window.charge(1, atMilliseconds: 5_900)
        // Both count until 60 s after the later one, 65.9 s: never shorter than 60 s for either.
        #expect(window.used(atMilliseconds: 65_899) == 2)
        #expect(window.used(atMilliseconds: 65_900) == 0)
        // Asked in the second it was charged, the wait is at most the window, never 61 s.
        #expect(window.wait(toFit: 1, limit: 2, atMilliseconds: 5_900) == 60_000)
    }

    /// Whatever was charged, a wait told is at most 60 s, and once it has passed the cost fits.
    @Test func aWaitIsNeverLongerThanTheWindowAndIsEnough() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            var window = SlidingWindow()
            var now = Int64.random(in: 0..<100_000, using: &generator)
            let limit = Int.random(in: 1..<20, using: &generator)
            for _ in 0..<Int.random(in: 1..<60, using: &generator) {
                now += Int64.random(in: 0..<2_500, using: &generator)
                if window.wait(toFit: 1, limit: limit, atMilliseconds: now) == 0 {
                    window.charge(1, atMilliseconds: now)
                }
            }
            let wait = window.wait(toFit: 1, limit: limit, atMilliseconds: now) ?? -1
            #expect((0...60_000).contains(wait))
            #expect(window.wait(toFit: 1, limit: limit, atMilliseconds: now + wait) == 0)
            if wait > 0 { #expect(window.wait(toFit: 1, limit: limit, atMilliseconds: now + wait - 1)! > 0) }
        }
    }

    /// What the window must answer, from a plain list of every charge: each counts, corrected
    /// by its adjustments, until 60 s after the latest charge made in its second.
    private struct Model {
        var charges: [(milliseconds: Int64, second: Int64, amount: Int)] = []

        func used(atMilliseconds now: Int64) -> Int {
            var latest: [Int64: Int64] = [:]
            for charge in charges { latest[charge.second] = max(latest[charge.second] ?? .min, charge.milliseconds) }
            return charges.filter { latest[$0.second]! + 60_000 > now }.reduce(0) { $0 + $1.amount }
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
                window.charge(amount, atMilliseconds: now)
                model.charges.append((now, second, amount))
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
