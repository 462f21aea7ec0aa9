import RelayWire

/// Consistent hashing of conversations onto a model's backends, with bounded load.
///
/// Each backend stands at `pointsPerBackend` places on a ring of 64-bit hashes (of its name, so
/// every replica builds the same ring); a conversation's key belongs to the first backend at or
/// after it, its home, and then to the next distinct ones in ring order. A backend already at
/// `1.25 ×` the mean in flight (counting this request) is passed over for the next on the ring,
/// so one heavy conversation cannot overload a replica; a busy or open-circuit one is passed over
/// the same way when the request is routed.
struct AffinityRing: Sendable {
    static let pointsPerBackend = 64
    /// Bounded load: no backend above this times the mean in flight.
    static let loadBound = 1.25

    /// Sorted by point.
    private let points: [(point: UInt64, backend: Int)]
    let backendCount: Int

    init(backendNames: [String]) {
        backendCount = backendNames.count
        var points: [(point: UInt64, backend: Int)] = []
        points.reserveCapacity(backendNames.count * Self.pointsPerBackend)
        for (index, name) in backendNames.enumerated() {
            for replica in 0..<Self.pointsPerBackend {
                points.append((AffinityKey.hash("\(name)#\(replica)"), index))
            }
        }
        self.points = points.sorted { $0.point < $1.point }
    }

    /// The backends' positions (into the names the ring was made from) in the order `key`
    /// prefers them: its home first, then the next distinct ones clockwise.
    func preference(for key: UInt64) -> [Int] {
        guard !points.isEmpty else { return [] }
        var low = 0
        var high = points.count
        while low < high {
            let middle = (low + high) / 2
            if points[middle].point < key { low = middle + 1 } else { high = middle }
        }
        var order: [Int] = []
        order.reserveCapacity(backendCount)
        var seen = Set<Int>()
        var position = low
        while order.count < backendCount {
            let backend = points[position % points.count].backend
            if seen.insert(backend).inserted { order.append(backend) }
            position += 1
        }
        return order
    }

    /// `preference` with the backends at the load bound moved behind the others, their order
    /// kept; `inFlight` by position.
    func order(for key: UInt64, inFlight: [Int]) -> [Int] {
        let preferred = preference(for: key)
        let total = inFlight.reduce(0, +) + 1
        let bound = Int((Self.loadBound * Double(total) / Double(max(1, backendCount))).rounded(.up))
        let (within, over) = preferred.reduce(into: ([Int](), [Int]())) { split, backend in
            if inFlight[backend] + 1 <= bound { split.0.append(backend) } else { split.1.append(backend) }
        }
        return within + over
    }
}
