import RelayWire

/// Everything the in-process limiter keeps for one key.
struct KeyWindows {
    var requests = SlidingWindow()
    var tokens = SlidingWindow()
    var fallbackTokens = SlidingWindow()
    var inFlight = 0

    /// Nothing counted and nothing in flight: the entry can be dropped without losing state.
    func isIdle(atMilliseconds now: Int64) -> Bool {
        inFlight == 0 && requests.isEmpty(atMilliseconds: now) && tokens.isEmpty(atMilliseconds: now)
            && fallbackTokens.isEmpty(atMilliseconds: now)
    }

    /// The primary windows' state, for the limits the key has.
    func snapshot(requestLimit: Int?, tokenLimit: Int?, at now: Int64) -> RateLimitSnapshot {
        RateLimitSnapshot(
            requests: requestLimit.map { requests.snapshot(limit: $0, at: now) },
            tokens: tokenLimit.map { tokens.snapshot(limit: $0, at: now) }
        )
    }
}

extension SlidingWindow {
    /// When `amount` fits under `limit`.
    func fit(_ amount: Int, limit: Int, atMilliseconds now: Int64) -> LimitFit {
        let wait = wait(toFit: amount, limit: limit, atMilliseconds: now)
        // The reset is read only when it is told: for a cost the window can never hold.
        return wait == nil
            ? LimitFit(wait: nil, resetMilliseconds: reset(atMilliseconds: now))
            : LimitFit(wait: wait, resetMilliseconds: 0)
    }

    func snapshot(limit: Int, at now: Int64) -> WindowSnapshot {
        WindowSnapshot(limit: limit, used: used(atMilliseconds: now), resetMilliseconds: reset(atMilliseconds: now))
    }
}
