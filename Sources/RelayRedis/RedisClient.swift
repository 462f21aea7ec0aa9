import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// A small pipelined Redis (RESP2) client: a few connections, used in turn.
///
/// Connections are opened on first use, one per slot, each on its own event loop, and
/// authenticated and switched to the configured database before any command goes out. A dropped
/// connection is reopened by the next command; failed attempts back off (doubling, capped) and,
/// while one backs off, commands for that slot go to another open connection or fail at once
/// with `.connectionFailed`, so a caller never queues behind a dead server.
///
/// ```swift
/// let client = RedisClient(configuration: try RedisConfiguration(url: "redis://127.0.0.1:6379/0"), logger: logger)
/// _ = try await client.send(["SET", "greeting", "hello"])
/// let value = try await client.send(["GET", "greeting"]).string  // "hello"
/// await client.shutdown()
/// ```
public final class RedisClient: Sendable {
    public let configuration: RedisConfiguration
    private let eventLoops: [any EventLoop]
    private let slots: NIOLockedValueBox<[ConnectionSlot]>
    private let nextSlot = Atomic<Int>(0)
    private let isShutDown = Atomic<Bool>(false)
    private let backoff: ReconnectBackoff
    private let logger: Logger
    /// For `rediss://`: the context every connection uses, or why it could not be built.
    private let tlsContext: Result<NIOSSLContext, RedisClientError>?

    public init(
        configuration: RedisConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) {
        self.configuration = configuration
        let count = max(1, configuration.connectionCount)
        self.eventLoops = (0..<count).map { _ in eventLoopGroup.next() }
        self.slots = NIOLockedValueBox(Array(repeating: .idle(failures: 0, retryAt: nil, lastError: nil), count: count))
        self.backoff = ReconnectBackoff(first: configuration.firstReconnectDelay, max: configuration.maxReconnectDelay)
        self.logger = logger
        self.tlsContext = configuration.tls.map { tls in
            Result { try tls.makeContext() }.mapError { .connectionFailed("cannot set up TLS for Redis: \($0)") }
        }
    }

    /// Sends one command and waits for its reply. An error reply throws `.server(message)`.
    public func send(_ arguments: [ByteBuffer]) async throws(RedisClientError) -> RESPValue {
        var command = ByteBufferAllocator().buffer(capacity: 16 + arguments.reduce(0) { $0 + $1.readableBytes + 16 })
        RESPCommandEncoder.encode(arguments, into: &command)
        let reply = try await Self.awaitReply(send(encoded: command))
        do {
            return try RESPValue(reply: reply)
        } catch {
            throw .protocolError(error)
        }
    }

    public func send(_ arguments: [String]) async throws(RedisClientError) -> RESPValue {
        try await send(arguments.map { ByteBuffer(string: $0) })
    }

    /// Closes every connection; later commands fail with `.shutDown`.
    public func shutdown() async {
        isShutDown.store(true, ordering: .sequentiallyConsistent)
        let open = slots.withLockedValue { slots in
            defer { slots = slots.map { _ in .idle(failures: 0, retryAt: nil, lastError: .shutDown) } }
            return slots
        }
        for slot in open {
            switch slot {
            case .connected(let connection): connection.close()
            case .connecting(let future, _): future.whenSuccess { $0.close() }
            case .idle: break
            }
        }
        for slot in open {
            if case .connected(let connection) = slot { try? await connection.channel.closeFuture.get() }
        }
    }

    /// Sends a command already written as RESP. The future holds the reply's bytes, or fails
    /// with a `RedisClientError` (`.server` for an error reply), and is completed on the event
    /// loop of the connection that carried the command.
    func send(encoded command: ByteBuffer) -> EventLoopFuture<ByteBuffer> {
        switch connection() {
        case .ready(let connection):
            return connection.send(encoded: command)
        case .failed(let error, let eventLoop):
            return eventLoop.makeFailedFuture(error)
        case .pending(let future):
            return future.flatMapErrorThrowing { error in
                throw error as? RedisClientError ?? .connectionFailed(String(describing: error))
            }.flatMap { connection in
                // `record` stored the connection under this lock before the future completed.
                // Taking it here gives ThreadSanitizer the order the future's callback already
                // gives, which it cannot see, so the connection's fields are not reported as raced.
                self.slots.withLockedValue { _ in }
                return connection.send(encoded: command)
            }
        }
    }

    /// `future`'s reply, its error as the client's.
    static func awaitReply(_ future: EventLoopFuture<ByteBuffer>) async throws(RedisClientError) -> ByteBuffer {
        do {
            return try await future.get()
        } catch let error as RedisClientError {
            throw error
        } catch {
            throw .connectionClosed
        }
    }

    private enum Acquired {
        case ready(RedisConnection)
        case pending(EventLoopFuture<RedisConnection>)
        case failed(RedisClientError, any EventLoop)
    }

    /// An open connection: the next slot's, or another open one while the next is unavailable;
    /// or the connection being made for the next slot.
    private func connection() -> Acquired {
        let index = nextSlot.wrappingAdd(1, ordering: .relaxed).oldValue % eventLoops.count
        guard !isShutDown.load(ordering: .sequentiallyConsistent) else { return .failed(.shutDown, eventLoops[index]) }
        let action = slots.withLockedValue { slots in Self.action(for: index, in: &slots, eventLoop: eventLoops[index])
        }
        switch action {
        case .use(let connection): return .ready(connection)
        case .fail(let error): return .failed(error, eventLoops[index])
        case .wait(let pending): return .pending(pending)
        case .connect(let promise, let failures):
            startConnecting(slot: index, promise: promise, failures: failures)
            return .pending(promise.futureResult)
        }
    }

    private static func action(
        for index: Int,
        in slots: inout [ConnectionSlot],
        eventLoop: any EventLoop
    ) -> SlotAction {
        switch slots[index] {
        case .connected(let connection) where connection.isActive:
            return .use(connection)
        case .connecting(let future, _):
            return openConnection(in: slots).map(SlotAction.use) ?? .wait(future)
        case .connected:
            // Closed since it was last used (the close callback may not have run yet).
            slots[index] = .idle(failures: 0, retryAt: nil, lastError: nil)
            return action(for: index, in: &slots, eventLoop: eventLoop)
        case .idle(let failures, let retryAt, let lastError):
            if let retryAt, retryAt > .now() {
                return openConnection(in: slots).map(SlotAction.use)
                    ?? .fail(lastError ?? .connectionFailed("waiting to reconnect"))
            }
            let promise = eventLoop.makePromise(of: RedisConnection.self)
            slots[index] = .connecting(promise.futureResult, failures: failures)
            return .connect(promise, failures: failures)
        }
    }

    private static func openConnection(in slots: [ConnectionSlot]) -> RedisConnection? {
        for case .connected(let connection) in slots where connection.isActive { return connection }
        return nil
    }

    private func startConnecting(slot index: Int, promise: EventLoopPromise<RedisConnection>, failures: Int) {
        let attempt: EventLoopFuture<RedisConnection>
        switch tlsContext {
        case .failure(let error): attempt = eventLoops[index].makeFailedFuture(error)
        case .success(let context):
            attempt = RedisConnection.connect(to: configuration, tlsContext: context, on: eventLoops[index])
        case nil: attempt = RedisConnection.connect(to: configuration, on: eventLoops[index])
        }
        attempt.whenComplete { result in
            self.record(result, slot: index, failures: failures)
        }
        attempt.cascade(to: promise)
    }

    private func record(_ result: Result<RedisConnection, any Error>, slot index: Int, failures: Int) {
        switch result {
        case .success(let connection):
            let kept = slots.withLockedValue { slots in
                guard !isShutDown.load(ordering: .sequentiallyConsistent) else { return false }
                slots[index] = .connected(connection)
                return true
            }
            guard kept else { return connection.close() }
            if failures > 0 {
                logger.info("Redis connection restored", metadata: ["redis_slot": "\(index)"])
            }
            connection.channel.closeFuture.whenComplete { _ in
                self.slots.withLockedValue { slots in
                    if case .connected(let current) = slots[index], current === connection {
                        slots[index] = .idle(failures: 0, retryAt: nil, lastError: nil)
                    }
                }
            }
        case .failure(let error):
            guard !isShutDown.load(ordering: .sequentiallyConsistent) else { return }
            let clientError = error as? RedisClientError ?? .connectionFailed(String(describing: error))
            let delay = backoff.delay(afterFailures: failures + 1)
            slots.withLockedValue {
                $0[index] = .idle(failures: failures + 1, retryAt: .now() + TimeAmount(delay), lastError: clientError)
            }
            logger.warning(
                "Redis connection failed",
                metadata: [
                    "redis_host": "\(configuration.host):\(configuration.port)",
                    "error": "\(clientError)",
                    "retry_in": "\(delay)",
                ]
            )
        }
    }
}
