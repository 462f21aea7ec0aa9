import Synchronization

/// Orders the targets to try for a model: its own backends, fewest requests in flight first
/// (ties taking turns), then its fallbacks in the configured order.
public enum TargetPlanner {
    /// Which of a model's backends goes first among equally loaded ones; only ever incremented.
    private static let rotation = Atomic<Int>(0)

    public static func targets(
        for model: ModelConfig,
        backends: [String: Backend],
        allowFallback: Bool
    ) -> [Target] {
        var own = model.backends.compactMap { name in
            backends[name].map { Target(backend: $0, upstreamModel: model.upstreamModel, isFallback: false) }
        }
        if own.count > 1 {
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
            backends[entry.backend].map { Target(backend: $0, upstreamModel: entry.upstreamModel, isFallback: true) }
        }
        return own + fallbacks
    }
}
