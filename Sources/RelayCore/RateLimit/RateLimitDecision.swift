import RelayWire

/// The limiter's answer to one `reserve` or `reserveFallback`.
package enum RateLimitDecision: Sendable, Equatable {
    /// Go ahead; settle the reservation when the call ends.
    case admitted(Reservation)
    /// Over a limit: answer 429 `rate_limit_exceeded`.
    case rejected(RateLimitRejection)
    /// The shared store (Redis) cannot be reached and `rate_limit_failure_mode` is `closed`:
    /// answer 503 without routing the request.
    case unavailable
}

/// Which limit turned a request away, as `relay_rate_limited_total{limit=...}` names it.
enum RateLimitKind: String, Sendable, Equatable, CaseIterable {
    case rpm
    case tpm
    case parallel
    case fallbackTPM = "fallback_tpm"
}

/// Why a request was turned away, and when to try again.
package struct RateLimitRejection: Sendable, Equatable {
    var limit: RateLimitKind
    /// Seconds until this request's cost fits the window (at least 1), for `retry-after`. For
    /// `parallel` it is 1: a slot frees when another request ends, which no window predicts.
    /// For a request that can never fit it is the time until the window is empty.
    var retryAfterSeconds: Int
    /// `false` when the cost is larger than the limit itself: send `x-should-retry: false`.
    var canEverFit: Bool
    /// The windows as they stand, for the `x-ratelimit-*` headers.
    var snapshot: RateLimitSnapshot

}
