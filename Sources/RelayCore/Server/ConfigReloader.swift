import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

/// Reloads the config file on SIGHUP.
///
/// An invalid file keeps the running config and logs every problem. A valid one is swapped in
/// whole; state is kept by name (backends' circuits and in-flight counts, the limiter's windows).
/// `server.*`, `log.*`, `redis_url` and `rate_limit_failure_mode` are read at start only: a change
/// to them is logged as needing a restart. Clients of backends that were removed or changed are
/// closed once their requests in flight are done. With `server.tls` on, the certificate and key
/// are read again and new connections use them (turning TLS on or off needs a restart).
struct ConfigReloader: Service {
    let source: ConfigSource
    let gateway: Gateway
    let eventLoopGroup: any EventLoopGroup
    /// The listener's TLS context, when it has one.
    var tlsContexts: TLSContextBox? = nil
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            await reload()
        }
    }

    func reload() async {
        let config: RelayConfig
        do {
            config = try source.load()
        } catch {
            logger.error(
                "reload_failed",
                metadata: ["path": "\(source.path)", "problems": .array(error.problems.map { "\($0)" })]
            )
            return
        }
        if let tlsContexts, let tls = config.server.tls, !reloadTLS(tls, into: tlsContexts) { return }
        let previous = gateway.state
        let next = GatewayState(config: config, eventLoopGroup: eventLoopGroup, previous: previous)
        _ = gateway.replaceState(next)
        let needRestart = Self.changesNeedingRestart(from: previous.config, to: config)
        var metadata: Logger.Metadata = [
            "backends": "\(config.backends.count)", "models": "\(config.models.count)",
            "api_keys": "\(config.apiKeys.count)",
        ]
        if !needRestart.isEmpty { metadata["restart_required"] = .array(needRestart.map { "\($0)" }) }
        logger.notice("config_reloaded", metadata: metadata)
        for backend in next.retired(from: previous) {
            Task { await Self.shutdownWhenIdle(backend) }
        }
    }

    static func changesNeedingRestart(from old: RelayConfig, to new: RelayConfig) -> [String] {
        var changed: [String] = []
        var oldServer = old.server
        var newServer = new.server
        // New certificate paths apply on reload; only switching TLS on or off needs a restart.
        if (oldServer.tls == nil) == (newServer.tls == nil) { (oldServer.tls, newServer.tls) = (nil, nil) }
        if oldServer != newServer { changed.append("server") }
        if old.log != new.log { changed.append("log") }
        if old.redisURL != new.redisURL { changed.append("redis_url") }
        if old.redisCABundle != new.redisCABundle { changed.append("redis_ca_file") }
        if old.rateLimitFailureMode != new.rateLimitFailureMode { changed.append("rate_limit_failure_mode") }
        return changed
    }

    /// Swaps in a context from the files as they are now; on failure (the files changed again since
    /// the config was checked) the running certificate stays and the whole reload is refused.
    private func reloadTLS(_ tls: ServerTLSConfig, into contexts: TLSContextBox) -> Bool {
        switch ServerTLSContext.make(tls) {
        case .success(let context):
            contexts.replace(with: context)
            return true
        case .failure(let failure):
            logger.error(
                "reload_failed",
                metadata: ["path": "\(source.path)", "problems": ["server.tls.\(failure.key): \(failure.message)"]]
            )
            return false
        }
    }

    /// Waits for a retired backend's requests in flight (at most its longest timeout).
    private static func shutdownWhenIdle(_ backend: Backend) async {
        let deadline = ContinuousClock.now + .seconds(backend.config.requestTimeout)
        while backend.inFlight > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .seconds(1))
        }
        await backend.shutdown()
    }
}
