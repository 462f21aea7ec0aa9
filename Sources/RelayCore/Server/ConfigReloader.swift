import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

/// Reloads the config file on SIGHUP.
///
/// An invalid file keeps the running config and logs every problem. A valid one is swapped in;
/// state is kept by name (backends' circuits and in-flight counts, the limiter's windows).
/// `server.*`, `log.*`, `redis_url`, `redis_ca_file` and `rate_limit_failure_mode` are read at
/// start only: the swapped-in config keeps their running values, so nothing applies half of a
/// change, and each changed one is logged under `restart_required`. The one exception: with
/// `server.tls` on, the certificate and key are read again and new connections use them
/// (turning TLS on or off needs a restart). Clients of backends that were removed or changed
/// are closed once their requests in flight are done.
struct ConfigReloader: Service {
    let source: ConfigSource
    let gateway: Gateway
    let eventLoopGroup: any EventLoopGroup
    /// The listener's TLS context, when it has one.
    var tlsContexts: TLSContextBox? = nil
    let logger: Logger

    package func run() async throws {
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
        let applied = Self.applicable(config, running: previous.config)
        let next = GatewayState(config: applied, eventLoopGroup: eventLoopGroup, previous: previous)
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

    /// `loaded` with every key read at start only put back to its `running` value: what a reload
    /// swaps in. The server certificate's paths are the new ones while TLS stays on.
    static func applicable(_ loaded: RelayConfig, running: RelayConfig) -> RelayConfig {
        var applied = loaded
        applied.server = running.server
        if running.server.tls != nil, loaded.server.tls != nil { applied.server.tls = loaded.server.tls }
        applied.log = running.log
        applied.redisURL = running.redisURL
        applied.redisCABundle = running.redisCABundle
        applied.rateLimitFailureMode = running.rateLimitFailureMode
        applied.responsesTTL = running.responsesTTL
        applied.responsesMaxStored = running.responsesMaxStored
        applied.responsesMaxBytes = running.responsesMaxBytes
        applied.statePath = running.statePath
        return applied
    }

    /// The config keys, by their YAML names, that `new` changes and only a restart applies.
    static func changesNeedingRestart(from old: RelayConfig, to new: RelayConfig) -> [String] {
        var changed: [String] = []
        func note<Value: Equatable>(_ name: String, _ value: KeyPath<RelayConfig, Value>) {
            if old[keyPath: value] != new[keyPath: value] { changed.append(name) }
        }
        note("server.host", \.server.host)
        note("server.port", \.server.port)
        note("server.admin_port", \.server.adminPort)
        note("server.max_body_bytes", \.server.maxBodyBytes)
        note("server.header_timeout_s", \.server.headerTimeout)
        note("server.body_timeout_s", \.server.bodyTimeout)
        note("server.write_timeout_s", \.server.writeTimeout)
        note("server.drain_delay_s", \.server.drainDelay)
        note("server.shutdown_grace_s", \.server.shutdownGrace)
        note("server.metrics_path", \.server.metricsPath)
        note("server.trusted_proxies", \.server.trustedProxies)
        // New certificate paths apply on reload; only switching TLS on or off needs a restart.
        if (old.server.tls == nil) != (new.server.tls == nil) { changed.append("server.tls") }
        // A server key this list does not know yet still counts.
        if changed.isEmpty, applicable(new, running: old).server != new.server { changed.append("server") }
        note("log.level", \.log.level)
        note("log.format", \.log.format)
        note("redis_url", \.redisURL)
        note("redis_ca_file", \.redisCABundle)
        note("rate_limit_failure_mode", \.rateLimitFailureMode)
        // The store of Responses state is made once, at start, as the limiter is.
        note("responses_ttl_s", \.responsesTTL)
        note("responses_max_stored", \.responsesMaxStored)
        note("responses_max_bytes", \.responsesMaxBytes)
        note("state_path", \.statePath)
        // The quota store is opened at start, when some key has quotas or a budget.
        if new.countsQuotas, !old.countsQuotas { changed.append("api_keys[].quotas") }
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
