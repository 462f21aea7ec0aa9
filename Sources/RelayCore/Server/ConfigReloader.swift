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
/// closed once their requests in flight are done.
struct ConfigReloader: Service {
    let path: String
    let environment: [String: String]
    let gateway: Gateway
    let eventLoopGroup: any EventLoopGroup
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
            config = try ConfigLoader.load(path: path, environment: environment)
        } catch {
            logger.error(
                "reload_failed",
                metadata: ["path": "\(path)", "problems": .array(error.problems.map { "\($0)" })]
            )
            return
        }
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
        if old.server != new.server { changed.append("server") }
        if old.log != new.log { changed.append("log") }
        if old.redisURL != new.redisURL { changed.append("redis_url") }
        if old.rateLimitFailureMode != new.rateLimitFailureMode { changed.append("rate_limit_failure_mode") }
        return changed
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
