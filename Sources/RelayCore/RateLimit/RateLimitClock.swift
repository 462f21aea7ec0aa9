/// Where the in-process limiter takes its time from; tests inject a clock they move by hand.
public protocol RateLimitClock: Sendable {
    /// Milliseconds since any fixed origin, never going backwards.
    func nowMilliseconds() -> Int64
}

/// Monotonic time since this clock was made: wall-clock steps (NTP, DST) don't move windows.
public struct SystemRateLimitClock: RateLimitClock {
    private let origin = ContinuousClock.now

    public init() {}

    public func nowMilliseconds() -> Int64 {
        let (seconds, attoseconds) = (ContinuousClock.now - origin).components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
