/// The wait before the next connection attempt: doubling from the first delay, capped.
struct ReconnectBackoff {
    var first: Duration
    var max: Duration

    /// The wait after `failures` failed attempts in a row (1 for the first failure).
    func delay(afterFailures failures: Int) -> Duration {
        let doublings = Swift.max(0, Swift.min(failures - 1, 20))
        return Swift.min(first * (1 << doublings), max)
    }
}
