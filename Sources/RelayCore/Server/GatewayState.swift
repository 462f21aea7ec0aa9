import Foundation
import NIOCore

/// Everything a request needs that comes from one config load, built once and then only read.
///
/// The gateway keeps the current state behind one lock-protected reference and swaps it whole,
/// so a request sees one consistent config from start to end.
public final class GatewayState: Sendable {
    public let config: RelayConfig
    public let authenticator: APIKeyAuthenticator
    public let backends: [String: Backend]
    /// Model names in a stable order, for `/v1/models`.
    public let modelNames: [String]
    /// When this config was loaded, as `created` in `/v1/models`.
    public let loadedAt: Int

    public init(config: RelayConfig, eventLoopGroup: any EventLoopGroup) {
        self.config = config
        self.authenticator = APIKeyAuthenticator(config: config)
        self.backends = config.backends.mapValues { Backend(config: $0, eventLoopGroup: eventLoopGroup) }
        self.modelNames = config.models.keys.sorted()
        self.loadedAt = Int(Date().timeIntervalSince1970)
    }

    func shutdown() async {
        for backend in backends.values { await backend.shutdown() }
    }
}
