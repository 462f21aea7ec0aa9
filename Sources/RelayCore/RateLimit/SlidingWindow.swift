/// Amounts (requests or tokens) charged to one key over the last minute, in per-second buckets.
///
/// Why buckets: memory stays at 61 counters per window whatever the traffic, where a log of
/// admissions would grow with it. Why it is still exact about the contract ("never more than the
/// limit in any 60 s span"): a bucket is counted until a whole 61 s after its second *began*, so
/// anything charged at time t is still counted at every moment up to t + 60 s. The price is
/// that an amount may be held up to one second longer than 60 s, never shorter. The Redis
/// limiter's Lua script keeps its windows the same way (one hash field per second).
struct SlidingWindow {
    /// Seconds a bucket is counted for, its own included: seconds `now - 60 ... now` are live.
    static let liveSeconds: Int64 = 61

    private struct Bucket {
        var second: Int64 = .min
        var amount = 0
    }

    /// Indexed by second modulo 61; allocated on first use, so unlimited keys cost nothing.
    private var buckets: [Bucket] = []
    /// The latest second ever charged: no bucket holds a later one, and every bucket with an
    /// amount holds one of the 61 seconds up to it.
    private var latestCharged: Int64 = .min
    /// Every bucket's amount, summed: what is used while the latest second charged is current,
    /// read without a pass over the buckets (several times a request).
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
        // Within the latest second charged, every bucket with an amount still counts.
        if current == latestCharged, !holdsStaleSecond { return total }
        let oldest = current - Self.liveSeconds + 1
        return buckets.reduce(0) { $0 + ($1.second >= oldest ? $1.amount : 0) }
    }

    mutating func charge(_ amount: Int, atSecond second: Int64) {
        if buckets.isEmpty { buckets = Array(repeating: Bucket(), count: Int(Self.liveSeconds)) }
        if second > latestCharged { ageOut(upTo: second) }
        if latestCharged != .min, second <= latestCharged - Self.liveSeconds { holdsStaleSecond = true }
        let index = Self.index(of: second)
        if buckets[index].second != second {
            total -= buckets[index].amount
            buckets[index] = Bucket(second: second, amount: 0)
        }
        buckets[index].amount += amount
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
        let current = Self.second(ofMilliseconds: now)
        let index = Self.index(of: second)
        if second > current - Self.liveSeconds, !buckets.isEmpty, buckets[index].second == second {
            let amount = max(0, buckets[index].amount + delta)
            total += amount - buckets[index].amount
            buckets[index].amount = amount
        } else if delta > 0 {
            charge(delta, atSecond: current)
        }
    }

    /// Milliseconds until `cost` more fits under `limit`: 0 now, `nil` never (cost > limit).
    func wait(toFit cost: Int, limit: Int, atMilliseconds now: Int64) -> Int64? {
        guard cost <= limit else { return nil }
        var excess = used(atMilliseconds: now) + cost - limit
        guard excess > 0 else { return 0 }
        for bucket in liveBuckets(atMilliseconds: now) {
            excess -= bucket.amount
            if excess <= 0 { return expiry(of: bucket.second) - now }
        }
        return Self.liveSeconds * 1000
    }

    /// Milliseconds until everything charged so far has aged out.
    func reset(atMilliseconds now: Int64) -> Int64 {
        // Every response's `x-ratelimit-reset-*` asks. Nearly always the latest second charged
        // still holds something, and no bucket is later: no pass over the buckets.
        let oldest = Self.second(ofMilliseconds: now) - Self.liveSeconds + 1
        if latestCharged >= oldest, !buckets.isEmpty {
            let latest = buckets[Self.index(of: latestCharged)]
            if latest.second == latestCharged, latest.amount > 0 { return expiry(of: latestCharged) - now }
        }
        var newest: Int64?
        for bucket in buckets where bucket.second >= oldest && bucket.amount > 0 {
            newest = max(newest ?? bucket.second, bucket.second)
        }
        guard let newest else { return 0 }
        return expiry(of: newest) - now
    }

    private func liveBuckets(atMilliseconds now: Int64) -> [Bucket] {
        let oldest = Self.second(ofMilliseconds: now) - Self.liveSeconds + 1
        return buckets.filter { $0.second >= oldest }.sorted { $0.second < $1.second }
    }

    private static func index(of second: Int64) -> Int {
        Int(((second % liveSeconds) + liveSeconds) % liveSeconds)
    }

    private func expiry(of second: Int64) -> Int64 {
        (second + Self.liveSeconds) * 1000
    }
}
