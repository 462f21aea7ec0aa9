import NIOConcurrencyHelpers
import RelayRedis

/// Sends the Redis limiter's reserves and settles in batches, one script call each, so that
/// Redis reads a busy key's windows once per batch instead of once per request.
///
/// Batching is natural, with no timer: while fewer than `maxCallsInFlight` calls are out, an
/// operation goes out at once, alone (no added latency at low load); operations arriving while
/// every call is out wait in order and go out together, up to `maxBatchSize` of them, in the
/// next call. Reserves and settles share the queue and the call, so a batch applies them in the
/// order they arrived, as one script per operation would have.
///
/// The call is made by one of the batch's own callers (its first): when a call ends, its
/// caller hands the next waiting batch to that batch's first caller and returns, so no task
/// is spawned and no caller is held beyond its own batch. The queue holds one entry per
/// suspended caller, so it is bounded by the requests in progress.
///
/// Every caller is answered exactly once: with its own answer, or with `.failed` for every
/// operation of a call that failed or answered something unexpected (recorded once per call
/// in `health`; the caller then takes the limiter's fallback path).
///
/// ```swift
/// let batcher = RedisLimitBatcher(client: client, health: health, slotLeaseMilliseconds: 900_000)
/// if case .reserved(let answer) = await batcher.run(operation) { ... }
/// ```
final class RedisLimitBatcher: Sendable {
    private struct Waiter: Sendable {
        let operation: RedisLimitOperation
        let continuation: CheckedContinuation<Wake, Never>
    }

    /// What a waiting caller is woken with.
    private enum Wake: Sendable {
        case answered(RedisLimitBatch.Outcome)
        /// Make the call for this batch, whose first waiter is the one woken.
        case lead([Waiter])
    }

    private struct State {
        var waiting: [Waiter] = []
        var callsInFlight = 0

        mutating func nextBatch(upTo size: Int) -> [Waiter] {
            let batch = Array(waiting.prefix(size))
            waiting.removeFirst(batch.count)
            return batch
        }
    }

    private let client: RedisClient
    private let health: RedisHealth
    private let slotLeaseMilliseconds: Int64
    private let maxCallsInFlight: Int
    private let maxBatchSize: Int
    private let state = NIOLockedValueBox(State())

    /// - Parameters:
    ///   - maxCallsInFlight: calls out at once; with two, Redis runs one batch while the reply
    ///     of the other travels back and the next one gathers.
    ///   - maxBatchSize: operations in one call at most, so one script never holds Redis long.
    init(
        client: RedisClient,
        health: RedisHealth,
        slotLeaseMilliseconds: Int64,
        maxCallsInFlight: Int = 2,
        maxBatchSize: Int = 256
    ) {
        self.client = client
        self.health = health
        self.slotLeaseMilliseconds = slotLeaseMilliseconds
        self.maxCallsInFlight = max(1, maxCallsInFlight)
        self.maxBatchSize = max(1, maxBatchSize)
    }

    /// Runs `operation` in the next batch and returns what it came to.
    func run(_ operation: RedisLimitOperation) async -> RedisLimitBatch.Outcome {
        let wake = await withCheckedContinuation { (continuation: CheckedContinuation<Wake, Never>) in
            let batch = state.withLockedValue { state -> [Waiter]? in
                state.waiting.append(Waiter(operation: operation, continuation: continuation))
                guard state.callsInFlight < maxCallsInFlight else { return nil }
                state.callsInFlight += 1
                return state.nextBatch(upTo: maxBatchSize)
            }
            if let batch { batch[0].continuation.resume(returning: .lead(batch)) }
        }
        switch wake {
        case .answered(let outcome): return outcome
        case .lead(let batch): return await lead(batch)
        }
    }

    /// Makes the call for `batch` (whose first waiter is the caller), passes the next batch on,
    /// answers the rest of this one, and returns the caller's own outcome.
    private func lead(_ batch: [Waiter]) async -> RedisLimitBatch.Outcome {
        let outcomes = await call(batch.map(\.operation))
        let next = state.withLockedValue { state -> [Waiter]? in
            guard !state.waiting.isEmpty else {
                state.callsInFlight -= 1
                return nil
            }
            return state.nextBatch(upTo: maxBatchSize)
        }
        if let next { next[0].continuation.resume(returning: .lead(next)) }
        for index in batch.indices.dropFirst() {
            batch[index].continuation.resume(returning: .answered(outcomes[index]))
        }
        return outcomes[0]
    }

    /// One outcome per operation: Redis's answers, or `.failed` for all after recording why.
    private func call(_ operations: [RedisLimitOperation]) async -> [RedisLimitBatch.Outcome] {
        let batch = RedisLimitBatch(operations, slotLeaseMilliseconds: slotLeaseMilliseconds)
        do {
            let reply = try await client.run(
                RedisRateLimitScripts.batch,
                keys: batch.keys,
                arguments: batch.arguments
            )
            if let outcomes = RedisLimitBatch.outcomes(of: reply, for: operations) {
                health.recordSuccess()
                return outcomes
            }
            health.recordFailure("unexpected reply to the rate limit script")
        } catch {
            health.recordFailure(String(describing: error))
        }
        return Array(repeating: .failed, count: operations.count)
    }
}
