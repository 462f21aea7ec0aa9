import NIOCore
import NIOSSL
import NIOTLS

/// Completes `promise` when the TLS handshake is done, or fails it with the reason, so a
/// connection is handed out only once the server's certificate has been accepted (and a bad
/// certificate is reported as such rather than as a closed connection).
final class TLSHandshakeWaiter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    private let promise: EventLoopPromise<Void>

    init(promise: EventLoopPromise<Void>) {
        self.promise = promise
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent {
            promise.succeed()
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(RedisClientError.connectionFailed("TLS handshake with Redis failed: \(error)"))
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(RedisClientError.connectionFailed("Redis closed the connection during the TLS handshake"))
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // Already completed unless the channel went away first; completing twice is a no-op.
        promise.fail(RedisClientError.connectionClosed)
    }
}
