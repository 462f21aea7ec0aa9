/// A map from key digests to values that never holds more than `capacity` entries: when full,
/// the oldest insertion goes. Memory stays bounded whatever keys clients send.
///
/// There is no removal on purpose: every stored digest then owns exactly one slot of the
/// insertion ring, which is what keeps the bound exact.
///
/// ```swift
/// var failed = BoundedDigestMap<Bool>(capacity: 2)
/// failed.insert(digest, true)
/// failed[digest]  // true
/// ```
struct BoundedDigestMap<Value: Sendable>: Sendable {
    let capacity: Int
    private var values: [KeyDigest: Value] = [:]
    /// Insertion order, as a ring: once it is full, `order[next]` is the oldest entry.
    private var order: [KeyDigest] = []
    private var next = 0

    init(capacity: Int) {
        precondition(capacity > 0, "a cache needs room for one entry")
        self.capacity = capacity
    }

    var count: Int { values.count }

    subscript(digest: KeyDigest) -> Value? { values[digest] }

    mutating func insert(_ digest: KeyDigest, _ value: Value) {
        if values.updateValue(value, forKey: digest) != nil { return }
        if order.count < capacity {
            order.append(digest)
            return
        }
        values[order[next]] = nil
        order[next] = digest
        next = (next + 1) % capacity
    }

    var entries: [(digest: KeyDigest, value: Value)] {
        values.map { ($0.key, $0.value) }
    }
}
