import NIOCore

/// One encoded command on its way to the connection handler, with where its reply goes.
struct RedisRequest {
    var bytes: ByteBuffer
    /// Completed with the reply's bytes, or failed (an error reply with `.server`).
    var promise: EventLoopPromise<ByteBuffer>
    var timeout: TimeAmount
}
