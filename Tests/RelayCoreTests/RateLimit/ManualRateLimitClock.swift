import RelayCore
import Synchronization

/// A clock the test moves by hand.
final class ManualRateLimitClock: RateLimitClock {
    private let milliseconds: Mutex<Int64>

    init(milliseconds: Int64 = 0) {
        self.milliseconds = Mutex(milliseconds)
    }

    func nowMilliseconds() -> Int64 { milliseconds.withLock { $0 } }

    func set(seconds: Double) {
        milliseconds.withLock { $0 = Int64((seconds * 1000).rounded()) }
    }

    func advance(milliseconds delta: Int64) {
        milliseconds.withLock { $0 += delta }
    }
}
