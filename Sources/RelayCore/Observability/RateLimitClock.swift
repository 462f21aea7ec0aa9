import NIOCore

/// Where the in-process limiter takes its time from; tests inject a clock they move by hand.
package protocol RateLimitClock: Sendable {
    /// Milliseconds since any fixed origin, never going backwards.
    func nowMilliseconds() -> Int64
}

/// Monotonic time since this clock was made: wall-clock steps (NTP, DST) don't move windows.
/// Read as NIO's uptime in nanoseconds: a `ContinuousClock` reading is a 128-bit `Duration`,
/// which would have to be split into seconds and attoseconds at every read.
package struct SystemRateLimitClock: RateLimitClock {
    private let origin = NIODeadline.now().uptimeNanoseconds

    init() {}

    package func nowMilliseconds() -> Int64 {
        Int64((NIODeadline.now().uptimeNanoseconds - origin) / 1_000_000)
    }
}
