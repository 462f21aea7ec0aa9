import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import RelayRedis
import ServiceLifecycle

/// Runs the gateway: the HTTP server, graceful shutdown on SIGTERM/SIGINT, and the upstream
/// clients' cleanup at exit.
///
/// ```swift
/// try await RelayServer.open(config: config).run()
/// ```
package struct RelayServer: Sendable {
    let config: RelayConfig
    let gateway: Gateway
    let logger: Logger
    /// The connection to Redis when limits are shared there.
    let redis: RedisClient?
    let eventLoopGroup: any EventLoopGroup

    /// Where the config came from, for reloads on SIGHUP; `nil` turns reloading off.
    let configSource: ConfigSource?

    /// Opens what must be opened before serving, the state file of quota counters when some key
    /// has quotas or a budget and there is no Redis, then makes the server. A state file that
    /// cannot be opened stops startup: counters are never silently reset.
    package static func open(
        config: RelayConfig,
        configSource: ConfigSource? = nil,
        sink: LogSink = .standardOutput
    ) async throws -> RelayServer {
        var quotas: (any QuotaStore)?
        if config.countsQuotas, config.redisURL == nil {
            quotas = try await FileQuotaStore.open(path: config.statePath)
        }
        return RelayServer(config: config, configSource: configSource, sink: sink, quotas: quotas)
    }

    package init(
        config: RelayConfig,
        configSource: ConfigSource? = nil,
        sink: LogSink = .standardOutput
    ) {
        self.init(config: config, configSource: configSource, sink: sink, quotas: nil)
    }

    init(
        config: RelayConfig,
        configSource: ConfigSource?,
        sink: LogSink,
        quotas fileQuotas: (any QuotaStore)?
    ) {
        self.configSource = configSource
        // One event loop group for the server and every upstream client: no hops between them.
        let eventLoopGroup = MultiThreadedEventLoopGroup.singleton
        self.config = config
        self.eventLoopGroup = eventLoopGroup
        var logger = Logger(label: "relay") { _ in
            StructuredLogHandler(sink: sink, level: config.log.level, format: config.log.format)
        }
        logger.logLevel = config.log.level
        self.logger = logger
        let limiter: any RateLimiter
        // Responses state lives where limits do: shared by every replica with Redis.
        let responses: any ResponseStore
        var quotas = fileQuotas
        if let url = config.redisURL, var redisConfiguration = try? RedisConfiguration(url: url) {
            redisConfiguration.tls?.trustRoots = config.redisCABundle?.certificates
            let redis = RedisClient(configuration: redisConfiguration, eventLoopGroup: eventLoopGroup, logger: logger)
            limiter = RedisRateLimiter(client: redis, failureMode: config.rateLimitFailureMode, logger: logger)
            responses = RedisResponseStore(client: redis, ttlSeconds: config.responsesTTL)
            if config.countsQuotas { quotas = RedisQuotaStore(client: redis) }
            self.redis = redis
        } else {
            limiter = InProcessRateLimiter()
            responses = InProcessResponseStore(
                ttl: config.responsesTTL, maxStored: config.responsesMaxStored, maxBytes: config.responsesMaxBytes)
            self.redis = nil
        }
        self.gateway = Gateway(
            state: GatewayState(config: config, eventLoopGroup: eventLoopGroup),
            limiter: limiter,
            responses: responses,
            quotas: quotas,
            sink: sink
        )
    }

    /// Serves until a shutdown signal, then drains as `server.drain_delay_s` and
    /// `server.shutdown_grace_s` say. `onListening` gets the bound port (useful with port 0).
    package func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let drain = DrainService(readiness: gateway.readiness, drainDelay: config.server.drainDelay, logger: logger)
        let tlsContexts = try makeTLSContexts()
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: HealthChecker(gateway: gateway, logger: logger)),
            .init(service: HeapTrimmer()),
        ]
        if let redisLimiter = gateway.redisLimiter {
            services.append(.init(service: RedisProbe(limiter: redisLimiter)))
        }
        if let configSource {
            let reloader = ConfigReloader(
                source: configSource,
                gateway: gateway,
                eventLoopGroup: eventLoopGroup,
                tlsContexts: tlsContexts,
                logger: logger
            )
            services.append(.init(service: reloader))
        }
        if let adminPort = config.server.adminPort {
            services.append(.init(service: makeAdminServer(port: adminPort)))
        }
        // Services shut down in reverse order: the drain service first, then the server,
        // which stops accepting and waits for requests in flight, streams included.
        services += [
            .init(service: makeServer(tlsContexts: tlsContexts, onListening: onListening)),
            .init(service: drain),
        ]
        var configuration = ServiceGroupConfiguration(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: quietLogger
        )
        configuration.maximumGracefulShutdownDuration = .seconds(config.server.drainDelay + config.server.shutdownGrace)
        configuration.maximumCancellationDuration = .seconds(5)
        do {
            try await ServiceGroup(configuration: configuration).run()
        } catch {
            logger.error("stopped with an error", metadata: ["error": "\(error)"])
        }
        await gateway.state.shutdown()
        await gateway.quotas?.flush()
        await redis?.shutdown()
        logger.info("stopped")
        gateway.sink.drain()
    }

    /// The client-facing server: plain HTTP, or TLS with the context in `tlsContexts`.
    func makeServer(
        tlsContexts: TLSContextBox? = nil,
        onListening: @escaping @Sendable (Int) async -> Void
    ) -> Server<HTTPServerChannel> {
        let server = config.server
        let logger = self.logger
        let scheme = tlsContexts == nil ? "http" : "https"
        return Server(
            childChannelSetup: connections(answeredBy: .gateway(GatewayResponder(gateway: gateway)), tls: tlsContexts),
            configuration: .init(address: .hostname(server.host, port: server.port), backlog: Self.listenBacklog),
            onServerRunning: { channel in
                try? await channel.setOption(.maxMessagesPerRead, value: Self.acceptsPerRead)
                let port = channel.localAddress?.port ?? server.port
                logger.info(
                    "listening",
                    metadata: ["address": "\(scheme)://\(server.host):\(port)", "version": "\(RelayVersion.current)"]
                )
                await onListening(port)
            },
            eventLoopGroup: eventLoopGroup,
            logger: quietLogger
        )
    }

    /// Connections the kernel holds for the listener until Relay accepts them (capped by
    /// `net.core.somaxconn`, 4,096 by default). Deep enough for a burst of clients connecting
    /// while the event loops are busy forwarding: a full queue makes the kernel drop their
    /// handshakes, and each client waits a second to try again.
    static let listenBacklog = 4096
    /// Connections accepted each time the listener is readable, so that an event loop busy
    /// with streams still takes a burst of new connections in a few passes over its ready
    /// sockets (see docs/performance.md).
    static let acceptsPerRead: UInt = 256

    /// Each accepted connection's setup, with the config's header and body deadlines.
    private func connections(answeredBy responder: RelayResponder, tls: TLSContextBox?) -> HTTPServerChannel {
        HTTPServerChannel(
            responder: responder,
            tls: tls,
            bodyTimeout: TimeAmount(seconds: config.server.bodyTimeout),
            headerTimeout: TimeAmount(seconds: config.server.headerTimeout),
            writeTimeout: TimeAmount(seconds: config.server.writeTimeout)
        )
    }

    /// The listener's TLS context when `server.tls` is set; the files were checked at load, so this
    /// fails only if they changed since.
    func makeTLSContexts() throws -> TLSContextBox? {
        guard let tls = config.server.tls else { return nil }
        switch ServerTLSContext.make(tls) {
        case .success(let context): return TLSContextBox(context)
        case .failure(let failure):
            throw ConfigError(problems: [ConfigProblem(path: "server.tls.\(failure.key)", message: failure.message)])
        }
    }

    /// `/metrics` and the detailed `/readyz` on `server.admin_port`.
    func makeAdminServer(port: Int) -> Server<HTTPServerChannel> {
        let logger = self.logger
        let server = config.server
        return Server(
            childChannelSetup: connections(answeredBy: .admin(AdminResponder(gateway: gateway)), tls: nil),
            configuration: .init(address: .hostname(server.host, port: port)),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? port
                logger.info("admin listening", metadata: ["address": "http://\(server.host):\(port)"])
            },
            eventLoopGroup: eventLoopGroup,
            logger: quietLogger
        )
    }

    /// Hummingbird's server's and the service group's own logs, above info only.
    private var quietLogger: Logger {
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .warning)
        return quiet
    }
}

extension TimeAmount {
    /// Config durations are fractional seconds.
    init(seconds: Double) {
        self = .nanoseconds(Int64(seconds * 1_000_000_000))
    }
}
