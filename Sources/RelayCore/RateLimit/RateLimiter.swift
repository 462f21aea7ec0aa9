/// Admission and accounting of requests against a key's limits.
///
/// `reserve` runs before a request is routed and holds its estimated cost; `settle` runs once
/// when the call ends, with the real usage (`nil` for a call that produced nothing, which
/// refunds the whole reservation).
public protocol RateLimiter: Sendable {
    func reserve(_ principal: Principal, estimatedTokens: Int) async -> RateLimitDecision
    func settle(_ reservation: Reservation, usage: Usage?) async
}

public enum RateLimitDecision: Sendable {
    case admitted(Reservation)
    case rejected(retryAfterSeconds: Int, canEverFit: Bool, limit: String)
}

/// What an admitted request holds until it settles.
public struct Reservation: Sendable {
    public var key: String
    public var tokens: Int

    public init(key: String, tokens: Int) {
        self.key = key
        self.tokens = tokens
    }
}

/// Admits everything: the limiter used until limits are configured.
public struct UnlimitedRateLimiter: RateLimiter {
    public init() {}

    public func reserve(_ principal: Principal, estimatedTokens: Int) async -> RateLimitDecision {
        .admitted(Reservation(key: principal.name, tokens: estimatedTokens))
    }

    public func settle(_ reservation: Reservation, usage: Usage?) async {}
}
