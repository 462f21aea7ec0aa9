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

    func snapshot(requestLimit: Int?, tokenLimit: Int?, tokenWindow: SlidingWindow, at now: Int64)
        -> RateLimitSnapshot
    {
        RateLimitSnapshot(
            requests: requestLimit.map {
                WindowSnapshot(
                    limit: $0,
                    used: requests.used(atMilliseconds: now),
                    resetMilliseconds: requests.reset(atMilliseconds: now)
                )
            },
            tokens: tokenLimit.map {
                WindowSnapshot(
                    limit: $0,
                    used: tokenWindow.used(atMilliseconds: now),
                    resetMilliseconds: tokenWindow.reset(atMilliseconds: now)
                )
            }
        )
    }
}
