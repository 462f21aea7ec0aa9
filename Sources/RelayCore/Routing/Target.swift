/// One place a request can be sent: a backend and the model name it is sent there.
public struct Target: Sendable {
    public let backend: Backend
    public let upstreamModel: String
    /// `true` for the model's `fallbacks`, `false` for its own backends.
    public let isFallback: Bool
}

/// Orders the targets to try for a model: its own backends, fewest requests in flight first,
/// then its fallbacks in the configured order.
public enum TargetPlanner {
    public static func targets(
        for model: ModelConfig,
        backends: [String: Backend],
        allowFallback: Bool
    ) -> [Target] {
        var own = model.backends.compactMap { name in
            backends[name].map { Target(backend: $0, upstreamModel: model.upstreamModel, isFallback: false) }
        }
        if own.count > 1 {
            // A stable sort keeps the configured order among equally loaded backends.
            own = own.enumerated().sorted { lhs, rhs in
                let (left, right) = (lhs.element.backend.inFlight, rhs.element.backend.inFlight)
                return left != right ? left < right : lhs.offset < rhs.offset
            }.map(\.element)
        }
        guard allowFallback else { return own }
        let fallbacks = model.fallbacks.compactMap { entry in
            backends[entry.backend].map { Target(backend: $0, upstreamModel: entry.upstreamModel, isFallback: true) }
        }
        return own + fallbacks
    }
}
