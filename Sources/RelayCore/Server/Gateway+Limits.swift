import RelayWire

/// The limiter as requests call it. An `async` call through the `RateLimiter` existential costs
/// the caller a task switch when it returns (a look-up of the task's preferred executor, under
/// the task's lock); the in-process limiter never waits, so it is called through the plain
/// functions it has.
extension Gateway {
    func reserve(_ principal: Principal, estimatedTokens: Int) async -> RateLimitDecision {
        if let inProcessLimiter { return inProcessLimiter.reserveNow(principal, estimatedTokens: estimatedTokens) }
        return await limiter.reserve(principal, estimatedTokens: estimatedTokens)
    }

    func reserveFallback(_ principal: Principal, estimatedTokens: Int) async -> RateLimitDecision {
        if let inProcessLimiter {
            return inProcessLimiter.reserveFallbackNow(principal, estimatedTokens: estimatedTokens)
        }
        return await limiter.reserveFallback(principal, estimatedTokens: estimatedTokens)
    }

    /// Settles to the call's real usage (prompt + completion); `nil` refunds all tokens.
    func settle(_ reservation: Reservation, usage: Usage?) async {
        let tokens = usage?.totalTokens
        if let inProcessLimiter {
            inProcessLimiter.settleNow(reservation, actualTokens: tokens)
        } else {
            await limiter.settle(reservation, actualTokens: tokens)
        }
    }
}
