import NIOCore
import NIOPosix
import NIOSSL

/// One open, authenticated connection to Redis, with its database selected.
final class RedisConnection: Sendable {
    let channel: any Channel
    private let commandTimeout: TimeAmount

    private init(channel: any Channel, commandTimeout: TimeAmount) {
        self.channel = channel
        self.commandTimeout = commandTimeout
    }

    var isActive: Bool { channel.isActive }

    /// Connects on `eventLoop` (through TLS when `tlsContext` is given, waiting for the
    /// handshake), then sends AUTH and SELECT when the configuration asks for them.
    static func connect(
        to configuration: RedisConfiguration,
        tlsContext: NIOSSLContext? = nil,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<RedisConnection> {
        let commandTimeout = TimeAmount(configuration.commandTimeout)
        let handshake = tlsContext.map { _ in eventLoop.makePromise(of: Void.self) }
        if let handshake {
            // The handshake counts toward the connect timeout: a server that accepts and then
            // stays silent must not hold the slot.
            let deadline = eventLoop.scheduleTask(in: TimeAmount(configuration.connectTimeout)) {
                handshake.fail(RedisClientError.connectionFailed("TLS handshake with Redis timed out"))
            }
            handshake.futureResult.whenComplete { _ in deadline.cancel() }
        }
        return ClientBootstrap(group: eventLoop)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tlsContext, let handshake {
                        let serverName = RedisTLSConfiguration.serverName(for: configuration.host)
                        try channel.pipeline.syncOperations.addHandlers(
                            NIOSSLClientHandler(context: tlsContext, serverHostname: serverName),
                            TLSHandshakeWaiter(promise: handshake)
                        )
                    }
                    try channel.pipeline.syncOperations.addHandlers(
                        ByteToMessageHandler(RESPDecoder()),
                        RedisConnectionHandler()
                    )
                }
            }
            .connect(host: configuration.host, port: configuration.port)
            .flatMap { channel in
                let connection = RedisConnection(channel: channel, commandTimeout: commandTimeout)
                let secured = handshake?.futureResult ?? eventLoop.makeSucceededVoidFuture()
                return secured.flatMap { connection.prepare(configuration) }.map { connection }.flatMapErrorThrowing {
                    error in
                    channel.close(promise: nil)
                    throw error
                }
            }
    }

    /// AUTH and SELECT, pipelined; a failure of either fails the connection.
    private func prepare(_ configuration: RedisConfiguration) -> EventLoopFuture<Void> {
        var commands: [[String]] = []
        if let password = configuration.password {
            commands.append(configuration.username.map { ["AUTH", $0, password] } ?? ["AUTH", password])
        }
        if configuration.database != 0 {
            commands.append(["SELECT", String(configuration.database)])
        }
        let replies = commands.map { send($0.map { ByteBuffer(string: $0) }) }
        return EventLoopFuture.whenAllSucceed(replies, on: channel.eventLoop).map { _ in }.flatMapErrorThrowing {
            error in
            if case .server(let message) = error as? RedisClientError {
                throw RedisClientError.connectionFailed("Redis refused the connection setup: \(message)")
            }
            throw error
        }
    }

    /// Sends one command; the future holds the reply's bytes, or fails (`.server` for an error
    /// reply).
    func send(_ arguments: [ByteBuffer]) -> EventLoopFuture<ByteBuffer> {
        var bytes = channel.allocator.buffer(capacity: 16 + arguments.reduce(0) { $0 + $1.readableBytes + 16 })
        RESPCommandEncoder.encode(arguments, into: &bytes)
        return send(encoded: bytes)
    }

    /// Sends one command already written as RESP (`RESPCommandEncoder`); completed on the
    /// connection's event loop.
    func send(encoded bytes: ByteBuffer) -> EventLoopFuture<ByteBuffer> {
        let promise = channel.eventLoop.makePromise(of: ByteBuffer.self)
        let request = RedisRequest(bytes: bytes, promise: promise, timeout: commandTimeout)
        // A failed write also fails the command (completing a promise twice is a no-op in NIO).
        channel.writeAndFlush(request).whenFailure { error in
            promise.fail(error as? RedisClientError ?? .connectionClosed)
        }
        return promise.futureResult
    }

    func close() {
        channel.close(promise: nil)
    }
}
