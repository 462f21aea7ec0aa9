/// Amounts (requests or tokens) charged to one key over the last minute, in per-second buckets.
///
/// Why buckets: memory stays at 61 counters per window whatever the traffic, where a log of
/// admissions would grow with it. Why it is still exact about the contract ("never more than the
/// limit in any 60 s span"): a bucket keeps the millisecond of its latest charge and is counted
/// until 60 s after it, so anything charged at time t is still counted at every moment up to
/// t + 60 s. The price is that an amount may be held up to one second longer than 60 s (an
/// earlier charge in the same second waits for the latest), never shorter; a wait it tells is
/// never longer than 60 s, as the latest charge was made before the moment it is asked. The
/// Redis limiter's Lua script keeps its windows the same way (two hash fields per second).
struct SlidingWindow {
    /// Seconds a bucket can be counted in: its own and the 60 after it.
    static let liveSeconds: Int64 = 61
    /// How long a charge is counted for, from its bucket's latest charge.
    static let spanMilliseconds: Int64 = 60_000

    private struct Bucket {
        var second: Int64 = .min
        var amount = 0
        /// The millisecond of the latest charge to this second: the bucket counts until 60 s later.
        var latestMilliseconds: Int64 = .min

        func counts(atMilliseconds now: Int64) -> Bool {
            amount > 0 && latestMilliseconds > now - SlidingWindow.spanMilliseconds
        }

        var expiry: Int64 { latestMilliseconds + SlidingWindow.spanMilliseconds }
    }

    /// Indexed by second modulo 61; allocated on first use, so unlimited keys cost nothing.
    private var buckets: [Bucket] = []
    /// The latest second ever charged: no bucket holds a later one, and every bucket with an
    /// amount holds one of the 61 seconds up to it.
    private var latestCharged: Int64 = .min
    /// Every bucket's amount, summed: what is used while the latest second charged is current
    /// (but for the bucket of 60 s before it), read without a pass over the buckets.
    private var total = 0
    /// A charge went to a second already out of the window (the clock went back): `total` may
    /// count it, so `used` sums the buckets until the next full clear.
    private var holdsStaleSecond = false

    /// Nothing counted any more at `now`: the window can be forgotten.
    func isEmpty(atMilliseconds now: Int64) -> Bool {
        used(atMilliseconds: now) == 0
    }

    static func second(ofMilliseconds milliseconds: Int64) -> Int64 {
        milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
    }

    /// The total still counted at `now`.
    func used(atMilliseconds now: Int64) -> Int {
        let current = Self.second(ofMilliseconds: now)
        // Within the latest second charged every bucket with an amount still counts, but the
        // one of 60 s before, whose latest charge may have aged out already.
        if current == latestCharged, !holdsStaleSecond {
            let edge = buckets[Self.index(of: current - Self.liveSeconds + 1)]
            let aged = edge.second == current - Self.liveSeconds + 1 && !edge.counts(atMilliseconds: now)
            return aged ? total - edge.amount : total
        }
        return buckets.reduce(0) { $0 + ($1.counts(atMilliseconds: now) ? $1.amount : 0) }
    }

    /// Charges `amount` at `now`, in the bucket of its second.
    mutating func charge(_ amount: Int, atMilliseconds now: Int64) {
        let second = Self.second(ofMilliseconds: now)
        if buckets.isEmpty { buckets = Array(repeating: Bucket(), count: Int(Self.liveSeconds)) }
        if second > latestCharged { ageOut(upTo: second) }
        if latestCharged != .min, second <= latestCharged - Self.liveSeconds { holdsStaleSecond = true }
        let index = Self.index(of: second)
        if buckets[index].second != second {
            total -= buckets[index].amount
            buckets[index] = Bucket(second: second, amount: 0)
        }
        buckets[index].amount += amount
        buckets[index].latestMilliseconds = max(buckets[index].latestMilliseconds, now)
        total += amount
        latestCharged = max(latestCharged, second)
    }

    /// Empties the buckets that stop counting when `second` becomes the latest charged: those
    /// of the seconds since the last charge hold amounts 61 seconds older (or none).
    private mutating func ageOut(upTo second: Int64) {
        if latestCharged == .min || second - latestCharged >= Self.liveSeconds {
            for index in buckets.indices { buckets[index] = Bucket() }
            total = 0
            holdsStaleSecond = false
            return
        }
        for passed in (latestCharged + 1)...second {
            let index = Self.index(of: passed)
            total -= buckets[index].amount
            buckets[index] = Bucket()
        }
    }

    /// Corrects an earlier charge by `delta`: in its own bucket while that still counts (never
    /// below zero); an extra charge for a bucket that aged out goes to the current second.
    mutating func adjust(chargedAt second: Int64, by delta: Int, atMilliseconds now: Int64) {
        guard delta != 0 else { return }
        let index = Self.index(of: second)
        if !buckets.isEmpty, buckets[index].second == second,
            buckets[index].latestMilliseconds > now - Self.spanMilliseconds
        {
            let amount = max(0, buckets[index].amount + delta)
            total += amount - buckets[index].amount
            buckets[index].amount = amount
        } else if delta > 0 {
            charge(delta, atMilliseconds: now)
        }
    }

    /// Milliseconds until `cost` more fits under `limit`: 0 now, `nil` never (cost > limit).
    func wait(toFit cost: Int, limit: Int, atMilliseconds now: Int64) -> Int64? {
        guard cost <= limit else { return nil }
        var excess = used(atMilliseconds: now) + cost - limit
        guard excess > 0 else { return 0 }
        for bucket in liveBuckets(atMilliseconds: now) {
            excess -= bucket.amount
            if excess <= 0 { return bucket.expiry - now }
        }
        return Self.spanMilliseconds
    }

    /// Milliseconds until everything charged so far has aged out.
    func reset(atMilliseconds now: Int64) -> Int64 {
        // Every response's `x-ratelimit-reset-*` asks. Nearly always the latest second charged
        // still holds something, and no bucket is later: no pass over the buckets.
        if latestCharged != .min, !buckets.isEmpty {
            let latest = buckets[Self.index(of: latestCharged)]
            if latest.second == latestCharged, latest.counts(atMilliseconds: now) { return latest.expiry - now }
        }
        var newest: Int64?
        for bucket in buckets where bucket.counts(atMilliseconds: now) {
            newest = max(newest ?? bucket.expiry, bucket.expiry)
        }
        guard let newest else { return 0 }
        return newest - now
    }

    private func liveBuckets(atMilliseconds now: Int64) -> [Bucket] {
        buckets.filter { $0.counts(atMilliseconds: now) }.sorted { $0.expiry < $1.expiry }
    }

    private static func index(of second: Int64) -> Int {
        Int(((second % liveSeconds) + liveSeconds) % liveSeconds)
    }
}
