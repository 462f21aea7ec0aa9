import NIOConcurrencyHelpers

/// Keeps stored responses in this process (SPEC §8, without `redis_url`), for `ttl` each,
/// bounded both in count and in bytes: a save that would pass either bound first evicts the
/// oldest responses until both hold. A response larger than the whole byte bound is not kept.
///
/// Responses are kept in the order they were saved (a replaced id moves to the end), so the
/// oldest is both the first to evict and the first to expire: expired responses are dropped
/// from the front at every save, and when a load meets one. Every operation is one short
/// critical section under a lock, never held across an `await`.
///
/// ```swift
/// let store = InProcessResponseStore(ttl: .seconds(86_400), maxStored: 100_000, maxBytes: 256 << 20)
/// try await store.save(stored, id: "resp_abc")
/// let again = try await store.load(id: "resp_abc")
/// ```
final class InProcessResponseStore: ResponseStore {
    private let ttl: Duration
    private let maxStored: Int
    private let maxBytes: Int
    private let now: @Sendable () -> ContinuousClock.Instant
    private let state = NIOLockedValueBox(State())

    /// - Parameters:
    ///   - ttl: how long a response is kept after it was saved.
    ///   - maxStored: the most responses kept at once.
    ///   - maxBytes: the most bytes (`StoredResponse.byteCount`) kept at once.
    ///   - now: the time, monotonic; tests pass a clock they move by hand.
    init(
        ttl: Duration,
        maxStored: Int,
        maxBytes: Int,
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
    ) {
        precondition(maxStored > 0 && maxBytes > 0, "a store needs room for one response")
        self.ttl = ttl
        self.maxStored = maxStored
        self.maxBytes = maxBytes
        self.now = now
    }

    /// The same, with the time to live in seconds, as the config gives it (`responses_ttl_s`).
    convenience init(
        ttl seconds: Int,
        maxStored: Int,
        maxBytes: Int,
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
    ) {
        self.init(ttl: .seconds(seconds), maxStored: maxStored, maxBytes: maxBytes, now: now)
    }

    /// Responses kept right now, expired ones not yet dropped included (for tests).
    var storedCount: Int { state.withLockedValue { $0.entries.count } }

    /// Bytes kept right now (for tests).
    var storedBytes: Int { state.withLockedValue { $0.bytes } }

    func save(_ response: StoredResponse, id: String) async throws(ResponseStoreError) {
        let size = response.byteCount
        let now = self.now()
        state.withLockedValue { state in
            // A response saved again replaces the old one, which leaves its place in the order.
            state.remove(id)
            state.dropExpired(now: now, ttl: ttl)
            if size <= maxBytes {
                while state.entries.count >= maxStored || state.bytes + size > maxBytes {
                    guard state.evictOldest() else { break }
                }
                state.insert(response, id: id, size: size, savedAt: now)
            }
            state.compactOrder()
        }
    }

    func load(id: String) async throws(ResponseStoreError) -> StoredResponse? {
        let now = self.now()
        return state.withLockedValue { state in
            guard let entry = state.entries[id] else { return nil }
            guard now < entry.savedAt + ttl else {
                state.remove(id)
                state.compactOrder()
                return nil
            }
            return entry.response
        }
    }

    func delete(id: String) async throws(ResponseStoreError) -> Bool {
        let now = self.now()
        return state.withLockedValue { state in
            guard let entry = state.remove(id) else { return false }
            state.compactOrder()
            return now < entry.savedAt + ttl
        }
    }
}

extension InProcessResponseStore {
    private struct Entry {
        var response: StoredResponse
        var size: Int
        var savedAt: ContinuousClock.Instant
        /// Which of `State.order`'s records for this id is the live one.
        var generation: UInt64
    }

    /// A place in the save order. A record whose id was since removed or saved again (its
    /// generation differs from the entry's) is stale: skipped when met, dropped when compacted.
    private struct Record {
        var id: String
        var generation: UInt64
    }

    private struct State {
        var entries: [String: Entry] = [:]
        /// Oldest first from `head`; the records before `head` are gone.
        var order: [Record] = []
        var head = 0
        var bytes = 0
        var nextGeneration: UInt64 = 0

        mutating func insert(_ response: StoredResponse, id: String, size: Int, savedAt: ContinuousClock.Instant) {
            nextGeneration += 1
            entries[id] = Entry(response: response, size: size, savedAt: savedAt, generation: nextGeneration)
            order.append(Record(id: id, generation: nextGeneration))
            bytes += size
        }

        @discardableResult
        mutating func remove(_ id: String) -> Entry? {
            guard let entry = entries.removeValue(forKey: id) else { return nil }
            bytes -= entry.size
            return entry
        }

        /// The live entry of the oldest record, skipping stale records; `nil` when none is left.
        mutating func oldest() -> Entry? {
            while head < order.count {
                let record = order[head]
                if let entry = entries[record.id], entry.generation == record.generation { return entry }
                head += 1
            }
            return nil
        }

        /// Removes the oldest response; `false` when there is none.
        mutating func evictOldest() -> Bool {
            guard oldest() != nil else { return false }
            remove(order[head].id)
            head += 1
            return true
        }

        /// Removes the responses at the front that are `ttl` old or older.
        mutating func dropExpired(now: ContinuousClock.Instant, ttl: Duration) {
            while let entry = oldest(), entry.savedAt + ttl <= now {
                remove(order[head].id)
                head += 1
            }
        }

        /// Keeps the order's memory proportional to the responses kept: drops the records
        /// before `head` once they are half of it, and the stale ones once they outnumber the
        /// live ones (deletes and replacements leave them anywhere).
        mutating func compactOrder() {
            let pending = order.count - head
            if pending > 2 * entries.count + 16 {
                order = order[head...].filter { entries[$0.id]?.generation == $0.generation }
                head = 0
            } else if head > 0, head >= order.count / 2 {
                order.removeFirst(head)
                head = 0
            }
        }
    }
}
