import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

/// Kept-alive HTTP/1.1 connections to one backend, idle ones kept per event loop so a request
/// gets one on its own loop and its answer arrives without a hop between threads.
///
/// The pool does not cap the connections: each request in flight holds one, and a backend's
/// `max_concurrency`, when set, bounds those. An idle connection is closed by the first
/// sweep after it has been idle `idleTimeout` (sweeps run that often, so within twice that), or
/// when the backend closes it.
package final class UpstreamConnectionPool: Sendable {
    static let idleTimeout = TimeAmount.seconds(60)

    let eventLoopGroup: any EventLoopGroup
    private let origin: UpstreamOrigin?
    private let tls: Result<NIOSSLContext, any Error>?
    private let connectTimeout: TimeAmount
    private let state = NIOLockedValueBox(State())

    private struct Idle {
        var connection: UpstreamConnection
        var since: NIODeadline
    }

    private struct State {
        /// Idle connections by event loop, the most recently used last.
        var idle: [ObjectIdentifier: [Idle]] = [:]
        /// Loops with a sweep for connections idle too long scheduled.
        var sweeping: Set<ObjectIdentifier> = []
        var shutDown = false
    }

    /// - Parameter trustRoots: for an https backend, the certificates it is checked against;
    ///   `nil`, the system's.
    package init(
        baseURL: String,
        trustRoots: [NIOSSLCertificate]?,
        connectTimeout: TimeAmount,
        eventLoopGroup: any EventLoopGroup
    ) {
        self.eventLoopGroup = eventLoopGroup
        self.origin = UpstreamOrigin(baseURL: baseURL)
        self.connectTimeout = connectTimeout
        if origin?.usesTLS == true {
            // Built once: loading the system's roots is too slow to repeat per connection.
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.minimumTLSVersion = .tlsv12
            if let trustRoots { configuration.trustRoots = .certificates(trustRoots) }
            self.tls = Result { try NIOSSLContext(configuration: configuration) }
        } else {
            self.tls = nil
        }
    }

    /// What precedes every path sent to this backend.
    package var basePath: String { origin?.basePath ?? "" }

    /// The `Host` header of every request.
    package var hostHeader: String { origin?.hostHeader ?? "" }

    /// Where a call runs: on the event loop of the request that makes it, so the answer's events
    /// reach the request without a hop between threads. A caller on no event loop (a health
    /// check) gets a loop with an idle connection, if one has.
    package func eventLoopForCall() -> any EventLoop {
        if let current = MultiThreadedEventLoopGroup.currentEventLoop { return current }
        let idle = state.withLockedValue { state in state.idle.values.first { !$0.isEmpty }?.last?.connection }
        return idle?.eventLoop ?? eventLoopGroup.next()
    }

    /// An idle connection on `eventLoop`, if there is one still open.
    func idleConnection(on eventLoop: any EventLoop) -> UpstreamConnection? {
        let loop = ObjectIdentifier(eventLoop)
        return state.withLockedValue { state in
            while let idle = state.idle[loop]?.popLast() {
                if idle.connection.channel.isActive { return idle.connection }
            }
            return nil
        }
    }

    /// A new connection on `eventLoop`.
    func connect(on eventLoop: any EventLoop) -> EventLoopFuture<UpstreamConnection> {
        guard let origin else {
            return eventLoop.makeFailedFuture(UpstreamConnectError.invalidURL)
        }
        let tlsContext: NIOSSLContext?
        switch tls {
        case .failure(let error): return eventLoop.makeFailedFuture(error)
        case .success(let context): tlsContext = context
        case nil: tlsContext = nil
        }
        return ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tlsContext {
                        try pipeline.addHandler(
                            NIOSSLClientHandler(context: tlsContext, serverHostname: origin.serverName))
                    }
                    try pipeline.addHandler(UpstreamConnectionHandler())
                }
            }
            .connect(host: origin.host, port: origin.port)
            .flatMapThrowing { channel in
                let handler = try channel.pipeline.syncOperations.handler(type: UpstreamConnectionHandler.self)
                let connection = UpstreamConnection(
                    channel: channel,
                    handler: NIOLoopBound(handler, eventLoop: channel.eventLoop)
                )
                channel.closeFuture.whenComplete { [self] _ in forget(connection) }
                return connection
            }
    }

    /// Takes back a connection whose answer ended and that may serve another.
    func park(_ connection: UpstreamConnection) {
        let eventLoop = connection.eventLoop
        let loop = ObjectIdentifier(eventLoop)
        let (accepted, sweep) = state.withLockedValue { state -> (Bool, Bool) in
            guard !state.shutDown else { return (false, false) }
            state.idle[loop, default: []].append(Idle(connection: connection, since: .now()))
            return (true, state.sweeping.insert(loop).inserted)
        }
        if !accepted { connection.close() }
        if sweep { scheduleSweep(on: eventLoop) }
    }

    /// Closes the idle connections; those in use are closed when their answers end.
    package func shutdown() async {
        let idle = state.withLockedValue { state in
            state.shutDown = true
            defer { state.idle = [:] }
            return state.idle.values.flatMap { $0 }
        }
        for entry in idle {
            entry.connection.close()
            try? await entry.connection.channel.closeFuture.get()
        }
    }

    private func forget(_ connection: UpstreamConnection) {
        let loop = ObjectIdentifier(connection.eventLoop)
        state.withLockedValue { state in
            state.idle[loop]?.removeAll { $0.connection === connection }
        }
    }

    /// Every `idleTimeout`, while the loop has idle connections, closes those idle that long.
    private func scheduleSweep(on eventLoop: any EventLoop) {
        eventLoop.scheduleTask(in: Self.idleTimeout) { [self] in
            let loop = ObjectIdentifier(eventLoop)
            let oldest = NIODeadline.now() - Self.idleTimeout
            let (expired, again) = state.withLockedValue { state -> ([Idle], Bool) in
                let idle = state.idle[loop] ?? []
                let expired = idle.filter { $0.since <= oldest }
                state.idle[loop] = idle.filter { $0.since > oldest }
                let again = state.idle[loop]?.isEmpty == false
                if !again { state.sweeping.remove(loop) }
                return (expired, again)
            }
            for entry in expired { entry.connection.close() }
            if again { scheduleSweep(on: eventLoop) }
        }
    }
}

enum UpstreamConnectError: Error, CustomStringConvertible {
    case invalidURL

    var description: String { "the backend's URL is not valid" }
}
