import NIOConcurrencyHelpers

/// Bounds how many request bodies one key has Relay read at once, in this process.
///
/// Limits are checked once a body has arrived (its estimate is read from it), so without this a
/// key could make Relay hold a whole body per connection, however low its `max_parallel`. A key
/// with `max_parallel` may have that many bodies arriving at once; a key without it is not held
/// back here (`max_body_bytes` still bounds each body).
final class BodyReadGate: Sendable {
    private let reading = NIOLockedValueBox<[String: Int]>([:])

    /// Takes a place for one body of `key`'s; `false` when it already has `limit` arriving.
    func enter(_ key: String, limit: Int) -> Bool {
        reading.withLockedValue { reading in
            let count = reading[key, default: 0]
            guard count < limit else { return false }
            reading[key] = count + 1
            return true
        }
    }

    /// Gives back the place `enter` took.
    func leave(_ key: String) {
        reading.withLockedValue { reading in
            let count = reading[key, default: 1] - 1
            reading[key] = count > 0 ? count : nil
        }
    }
}
