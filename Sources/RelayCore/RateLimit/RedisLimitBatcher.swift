import NIOConcurrencyHelpers
import NIOCore
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
/// A call's reply is handled where it arrives, on the event loop of its Redis connection: the
/// next waiting batch is written from there at once, then this batch's callers are resumed with
/// their answers. No task stands between a reply and the next call, and no caller makes the
/// call for others. The queue holds one entry per suspended caller, so it is bounded by the
/// requests in progress.
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
        let continuation: UnsafeContinuation<RedisLimitBatch.Outcome, Never>
    }

    private struct State {
        var waiting: [Waiter] = []
        var callsInFlight = 0

        mutating func nextBatch(upTo size: Int) -> [Waiter] {
            guard waiting.count > size else {
                defer { waiting = [] }
                return waiting
            }
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
    ///   - maxCallsInFlight: calls out at once. One: each call carries everything that gathered
    ///     while the one before it was out. Most of a call's work in Redis is the same however
    ///     many operations it holds (reading the windows and slot sets), and Relay writes and
    ///     reads once a call, so fewer, larger calls cost both sides less a request.
    ///   - maxBatchSize: operations in one call at most, so one script never holds Redis long.
    init(
        client: RedisClient,
        health: RedisHealth,
        slotLeaseMilliseconds: Int64,
        maxCallsInFlight: Int = 1,
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
        // Resumed exactly once, by `send`'s reply handler: the continuation need not be checked.
        await withUnsafeContinuation { (continuation: UnsafeContinuation<RedisLimitBatch.Outcome, Never>) in
            let batch = state.withLockedValue { state -> [Waiter]? in
                state.waiting.append(Waiter(operation: operation, continuation: continuation))
                guard state.callsInFlight < maxCallsInFlight else { return nil }
                state.callsInFlight += 1
                return state.nextBatch(upTo: maxBatchSize)
            }
            if let batch { send(batch) }
        }
    }

    /// Makes the call for `batch`. When it ends, on the connection's event loop: the next
    /// waiting batch goes out (or the call's place is given up), then every caller of this one
    /// is resumed with its outcome.
    private func send(_ batch: [Waiter]) {
        let encoded = RedisLimitBatch(batch.lazy.map { $0.operation }, slotLeaseMilliseconds: slotLeaseMilliseconds)
        client.run(RedisRateLimitScripts.batch, keys: encoded.keys, arguments: encoded.arguments).whenComplete {
            result in
            let outcomes = self.outcomes(of: result, for: batch.lazy.map { $0.operation })
            let next = self.state.withLockedValue { state -> [Waiter]? in
                guard !state.waiting.isEmpty else {
                    state.callsInFlight -= 1
                    return nil
                }
                return state.nextBatch(upTo: self.maxBatchSize)
            }
            if let next { self.send(next) }
            for (waiter, outcome) in zip(batch, outcomes) {
                waiter.continuation.resume(returning: outcome)
            }
        }
    }

    /// One outcome per operation: Redis's answers, or `.failed` for all after recording why.
    private func outcomes(
        of result: Result<ByteBuffer, any Error>,
        for operations: some Collection<RedisLimitOperation>
    ) -> [RedisLimitBatch.Outcome] {
        switch result {
        case .success(let reply):
            if let outcomes = RedisLimitBatch.outcomes(of: reply, for: operations) {
                health.recordSuccess()
                return outcomes
            }
            health.recordFailure("unexpected reply to the rate limit script")
        case .failure(let error):
            health.recordFailure(String(describing: error))
        }
        return Array(repeating: .failed, count: operations.count)
    }
}
