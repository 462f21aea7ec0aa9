import Synchronization

/// Orders the targets to try for a model: its own backends, fewest requests in flight first
/// (ties taking turns) or, with `balance: affinity`, in the order the conversation's key prefers
/// them (`AffinityRing`), then its fallbacks in the configured order.
enum TargetPlanner {
    /// Which of a model's backends goes first among equally loaded ones; only ever incremented.
    private static let rotation = Atomic<Int>(0)

    static func targets(
        for model: ModelConfig,
        backends: [String: Backend],
        allowFallback: Bool,
        affinity: (ring: AffinityRing, key: UInt64)? = nil
    ) -> [Target] {
        var own = model.backends.compactMap { name in
            backends[name].map {
                Target(
                    backend: $0, upstreamModel: model.upstreamModel, isFallback: false,
                    price: $0.config.price ?? model.price)
            }
        }
        if let affinity, affinity.ring.backendCount == own.count, own.count > 1 {
            let order = affinity.ring.order(for: affinity.key, inFlight: own.map(\.backend.inFlight))
            own = order.map { own[$0] }
        } else if own.count > 1 {
            // Equally loaded backends take turns from a rotating start, so that light traffic
            // (one request at a time, always a tie at zero) spreads evenly too.
            let count = own.count
            let start = rotation.wrappingAdd(1, ordering: .relaxed).oldValue % count
            own = own.enumerated().sorted { lhs, rhs in
                let (left, right) = (lhs.element.backend.inFlight, rhs.element.backend.inFlight)
                guard left == right else { return left < right }
                return (lhs.offset - start + count) % count < (rhs.offset - start + count) % count
            }.map(\.element)
        }
        guard allowFallback else { return own }
        let fallbacks = model.fallbacks.compactMap { entry in
            backends[entry.backend].map {
                Target(
                    backend: $0, upstreamModel: entry.upstreamModel, isFallback: true,
                    price: entry.price ?? $0.config.price ?? model.price)
            }
        }
        return own + fallbacks
    }
}
