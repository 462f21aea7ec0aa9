import FoundationEssentials
import NIOCore

/// Everything a request needs that comes from one config load, built once and then only read.
///
/// The gateway keeps the current state behind one lock-protected reference and swaps it whole,
/// so a request sees one consistent config from start to end.
final class GatewayState: Sendable {
    let config: RelayConfig
    let authenticator: APIKeyAuthenticator
    package let backends: [String: Backend]
    /// Each model's wait queue for its own backends; kept by name across reloads, so requests
    /// waiting through a reload are still woken.
    let queues: [String: ModelQueue]
    /// The ring of each model with `balance: affinity`, over its backends in config order.
    let affinityRings: [String: AffinityRing]
    /// Model names in a stable order, for `/v1/models`.
    let modelNames: [String]
    /// When this config was loaded, as `created` in `/v1/models`.
    let loadedAt: Int
    /// `server.trusted_proxies`, parsed for `client_ip`.
    let trustedProxies: TrustedProxies

    /// - Parameter previous: the state this one replaces on a reload: backends whose config is
    ///   unchanged are kept whole (client, in-flight count, circuit), and a changed backend keeps
    ///   its circuit when its circuit settings did not change.
    init(config: RelayConfig, eventLoopGroup: any EventLoopGroup, previous: GatewayState? = nil) {
        self.config = config
        self.authenticator = APIKeyAuthenticator(config: config, previous: previous?.authenticator)
        self.backends = config.backends.mapValues { backendConfig in
            let old = previous?.backends[backendConfig.name]
            if let old, old.config == backendConfig { return old }
            let circuit = old.flatMap { $0.config.circuit == backendConfig.circuit ? $0.circuit : nil }
            return Backend(config: backendConfig, eventLoopGroup: eventLoopGroup, circuit: circuit)
        }
        let backends = self.backends
        let queues = config.models.mapValues { model in
            let own = model.backends.compactMap { backends[$0] }
            guard let queue = previous?.queues[model.name] else { return ModelQueue(model: model.name, backends: own) }
            queue.replaceBackends(own)
            return queue
        }
        for backend in backends.values {
            let served = config.models.values.filter { $0.backends.contains(backend.name) }
            backend.serveQueues(served.compactMap { queues[$0.name] })
        }
        self.queues = queues
        self.affinityRings = config.models.filter { $0.value.balance == .affinity }
            .mapValues { AffinityRing(backendNames: $0.backends) }
        // A backend this state no longer uses offers its slots to no queue.
        for old in previous?.backends.values ?? [:].values where backends[old.name] !== old { old.serveQueues([]) }
        self.modelNames = config.models.keys.sorted()
        self.loadedAt = Int(Date().timeIntervalSince1970)
        self.trustedProxies = TrustedProxies(config.server.trustedProxies)
    }

    func shutdown() async {
        for backend in backends.values { await backend.shutdown() }
    }

    /// The backends of `previous` this state no longer uses.
    func retired(from previous: GatewayState) -> [Backend] {
        previous.backends.values.filter { old in backends[old.name] !== old }
    }
}
