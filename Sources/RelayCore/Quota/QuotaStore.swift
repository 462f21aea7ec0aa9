/// Where the counters of quotas and budgets live (SPEC §10): in Redis with `redis_url`, shared
/// by every replica and timed by Redis's clock; else in this process, written to `state_path`.
///
/// Amounts are whole numbers: requests, tokens, micro-dollars. A reservation adds the
/// request's estimate to each of its meters in the current windows, all or nothing, only if
/// every limited meter stays within its limit; when the call ends, `adjust` adds the difference
/// between what it really cost and what was reserved (negative gives back) to the same windows,
/// without checking limits (usage that happened is counted).
///
/// ```swift
/// switch try await store.reserve(key: "team-a", amounts: [.requestsPerDay: 1, .tokensPerDay: 900],
///                                limits: [.requestsPerDay: 10_000]) {
/// case .admitted(let windows):
///     // ... the call ...
///     try await store.adjust(key: "team-a", deltas: [.tokensPerDay: real - 900], windows: windows)
/// case .exceeded(let meter, let resetAt):
///     // 429 quota_exceeded, retry-after: resetAt - now
/// }
/// ```
protocol QuotaStore: Sendable {
    /// Adds `amounts` to the key's meters if each meter in `limits` stays at or under its limit.
    func reserve(key: String, amounts: [QuotaMeter: Int64], limits: [QuotaMeter: Int64])
        async throws(QuotaStoreError) -> QuotaReservation

    /// Adds `deltas` (negative gives back) to the key's meters in `windows`.
    func adjust(key: String, deltas: [QuotaMeter: Int64], windows: QuotaWindows) async throws(QuotaStoreError)

    /// The meters of `keys` in the current windows (absent: nothing counted yet), and those
    /// windows.
    func usage(keys: [String]) async throws(QuotaStoreError) -> (
        windows: QuotaWindows, used: [String: [QuotaMeter: Int64]]
    )

    /// Writes what is not yet durable (the file store's pending second), at shutdown.
    func flush() async
}

enum QuotaReservation: Sendable, Equatable {
    /// Counted in these windows.
    case admitted(QuotaWindows)
    /// `meter` would go over its limit; its window ends at `resetAt` (Unix seconds).
    case exceeded(QuotaMeter, resetAt: Int64, now: Int64)
}

/// The store cannot be read or written. `reason` names no secret (no Redis password).
package struct QuotaStoreError: Error, Sendable, Equatable {
    package let reason: String
}

extension QuotaStoreError: CustomStringConvertible {
    package var description: String { reason }
}
