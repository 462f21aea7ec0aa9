import RelayWire

/// Admission and accounting of requests against a key's limits (SPEC §5).
///
/// `reserve` runs before a request is routed and holds its estimated cost: one request against
/// `rpm`, the tokens against `tpm`, a slot against `max_parallel`. `reserveFallback` takes a
/// second, separate hold against `fallback_tpm`, only when the request is about to be sent to a
/// fallback target. Every admitted reservation is settled exactly once when the call ends, with
/// the real token count (prompt + completion), or `nil` when the call failed before any output,
/// which refunds all its tokens. The request itself stays counted against `rpm`: the contract is
/// about requests *admitted* in any 60 s span, and a failed call was admitted.
///
/// ```swift
/// switch await limiter.reserve(principal, estimatedTokens: promptEstimate + maxTokens) {
/// case .admitted(let reservation):
///     // ... when the call ends: await limiter.settle(reservation, usage: usage)  // nil usage = refund
///     // add reservation.snapshot.headerFields to the response, route the request
/// case .rejected(let rejection):
///     // 429, retry-after: rejection.retryAfterSeconds, headers: rejection.snapshot.headerFields
/// case .unavailable:
///     // 503: the shared store is unreachable and the failure mode is `closed`
/// }
/// ```
package protocol RateLimiter: Sendable {
    /// Admits a request against `rpm`, `tpm` and `max_parallel`, holding `estimatedTokens`.
    func reserve(_ principal: Principal, estimatedTokens: Int) async -> RateLimitDecision

    /// Admits the tokens of a request sent to a fallback target against `fallback_tpm`. A key
    /// without `fallback_tpm` is always admitted. Settle the returned reservation too.
    func reserveFallback(_ principal: Principal, estimatedTokens: Int) async -> RateLimitDecision

    /// Ends a reservation: charges `actualTokens` instead of the estimate, or refunds all of it
    /// for `nil`, and frees its `max_parallel` slot. Call exactly once per admitted reservation.
    func settle(_ reservation: Reservation, actualTokens: Int?) async
}

extension RateLimiter {
    /// Settles to the call's real usage (prompt + completion); `nil` refunds all tokens.
    func settle(_ reservation: Reservation, usage: Usage?) async {
        await settle(reservation, actualTokens: usage?.totalTokens)
    }
}

/// Admits everything: the limiter used until limits are configured.
struct UnlimitedRateLimiter: RateLimiter {

    func reserve(_ principal: Principal, estimatedTokens: Int) async -> RateLimitDecision {
        .admitted(Reservation(unlimitedFor: principal.name, tokens: estimatedTokens, pool: .primary))
    }

    func reserveFallback(_ principal: Principal, estimatedTokens: Int) async -> RateLimitDecision {
        .admitted(Reservation(unlimitedFor: principal.name, tokens: estimatedTokens, pool: .fallback))
    }

    func settle(_ reservation: Reservation, actualTokens: Int?) async {}
}
