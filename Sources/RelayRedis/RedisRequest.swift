import NIOCore

/// One encoded command on its way to the connection handler, with where its answer goes.
struct RedisRequest {
    var bytes: ByteBuffer
    var promise: EventLoopPromise<RESPValue>
    var timeout: TimeAmount
}
