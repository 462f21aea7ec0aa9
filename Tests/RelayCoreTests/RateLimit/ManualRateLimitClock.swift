import NIOConcurrencyHelpers
import RelayCore

/// A clock the test moves by hand.
final class ManualRateLimitClock: RateLimitClock {
    private let milliseconds: NIOLockedValueBox<Int64>

    init(milliseconds: Int64 = 0) {
        self.milliseconds = NIOLockedValueBox(milliseconds)
    }

    func nowMilliseconds() -> Int64 { milliseconds.withLockedValue { $0 } }

    func set(seconds: Double) {
        milliseconds.withLockedValue { $0 = Int64((seconds * 1000).rounded()) }
    }

    func advance(milliseconds delta: Int64) {
        milliseconds.withLockedValue { $0 += delta }
    }
}
