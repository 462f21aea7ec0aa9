import Synchronization

/// Whether the gateway should receive new traffic: `false` from the moment shutdown begins.
final class Readiness: Sendable {
    private let draining = Atomic<Bool>(false)

    init() {}

    var isDraining: Bool { draining.load(ordering: .relaxed) }

    func startDraining() {
        draining.store(true, ordering: .relaxed)
    }
}
