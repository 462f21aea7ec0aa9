import NIOCore

/// The state of one of the client's connections.
enum ConnectionSlot {
    /// No connection; the next command connects, unless a failed attempt asked to wait until `retryAt`.
    case idle(failures: Int, retryAt: NIODeadline?, lastError: RedisClientError?)
    case connecting(EventLoopFuture<RedisConnection>, failures: Int)
    case connected(RedisConnection)
}

/// What a command does with the slot it was given, decided under the client's lock.
enum SlotAction {
    case use(RedisConnection)
    case wait(EventLoopFuture<RedisConnection>)
    /// Start connecting: the caller runs the attempt and completes the promise.
    case connect(EventLoopPromise<RedisConnection>, failures: Int)
    case fail(RedisClientError)
}
