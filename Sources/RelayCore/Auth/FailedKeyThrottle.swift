import NIOConcurrencyHelpers

/// Limits how much argon2 work wrong keys from one client address may cost: a token bucket of
/// argon2 runs per address, paid for by checks that found no match.
///
/// A request may start argon2 work while its address's balance is at least one run, and every
/// run it may take is reserved as it starts, so a scan of many id-less hashes puts the address
/// in debt and it waits that much longer. Verifications that succeed are refunded, and the throttle
/// never blocks cheap checks (sha256 keys, keys already verified), so a throttled address
/// behind a shared NAT still serves every key that is cached.
///
/// ```swift
/// let throttle = FailedKeyThrottle()
/// if throttle.reserve(client, runs: 1) { /* run argon2; if it matched: */ throttle.refund(client, runs: 1) }
/// ```
package final class FailedKeyThrottle: Sendable {
    struct Policy: Sendable {
        /// Failed runs an address may spend at once.
        var burst: Double = 10
        /// Failed runs an address earns back each second.
        var refillPerSecond: Double = 2
        /// The deepest an address can go into debt: bounds the longest lockout (here 60 s).
        var maximumDebt: Double = 120
        /// Addresses tracked at once; memory stays bounded under a many-address flood.
        var maximumAddresses: Int = 10_000

        init() {}
    }

    private struct Bucket {
        var balance: Double
        var updatedAt: Int64
    }

    private struct State {
        var buckets: [ClientAddressKey: Bucket] = [:]
        var lastPruneAt: Int64?
    }

    let policy: Policy
    private let clock: any RateLimitClock
    private let state = NIOLockedValueBox(State())

    init(policy: Policy = Policy(), clock: any RateLimitClock = SystemRateLimitClock()) {
        self.policy = policy
        self.clock = clock
    }

    /// Takes `runs` from `client`'s balance if it has at least one run left, so that a check
    /// starts; `false` (nothing taken) when the client must wait. Taken before the check runs,
    /// so concurrent requests from one address cannot all start on one balance.
    func reserve(_ client: ClientAddressKey, runs: Int) -> Bool {
        let now = clock.nowMilliseconds()
        return state.withLockedValue { state in
            var bucket: Bucket
            if let existing = state.buckets[client] {
                bucket = refilled(existing, now: now)
            } else {
                // An unseen address starts with a full bucket, if there is room to track it.
                // With the table full of addresses in debt, new ones wait: failing closed only
                // delays first verifications, never cached or sha256 keys.
                guard hasRoom(&state, now: now) else { return false }
                bucket = Bucket(balance: policy.burst, updatedAt: now)
            }
            guard bucket.balance >= 1 else { return false }
            bucket.balance = max(-policy.maximumDebt, bucket.balance - Double(runs))
            state.buckets[client] = bucket
            return true
        }
    }

    /// Gives back what a check that succeeded reserved: only failures cost.
    func refund(_ client: ClientAddressKey, runs: Int) {
        let now = clock.nowMilliseconds()
        state.withLockedValue { state in
            guard let existing = state.buckets[client] else { return }
            var bucket = refilled(existing, now: now)
            bucket.balance = min(policy.burst, bucket.balance + Double(runs))
            state.buckets[client] = bucket
        }
    }

    var trackedAddresses: Int { state.withLockedValue { $0.buckets.count } }

    private func refilled(_ bucket: Bucket, now: Int64) -> Bucket {
        let earned = Double(max(0, now - bucket.updatedAt)) / 1000 * policy.refillPerSecond
        return Bucket(balance: min(policy.burst, bucket.balance + earned), updatedAt: now)
    }

    /// Room for one more address, forgetting those whose bucket has refilled (they hold nothing
    /// a fresh bucket would not). Pruning walks the table, so it runs at most once a second.
    private func hasRoom(_ state: inout State, now: Int64) -> Bool {
        if state.buckets.count < policy.maximumAddresses { return true }
        if let last = state.lastPruneAt, now - last < 1000 { return false }
        state.lastPruneAt = now
        state.buckets = state.buckets.filter { refilled($0.value, now: now).balance < policy.burst }
        return state.buckets.count < policy.maximumAddresses
    }
}
