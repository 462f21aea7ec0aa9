import NIOCore

/// Matches the replies of one pipelined connection to its commands, first in, first out.
///
/// Commands are written as they come, without waiting for earlier answers; Redis answers in
/// order, so each reply completes the oldest waiting promise: with the reply's bytes, or, for an
/// error reply, by failing it with `.server(message)`. A command that times out closes
/// the connection: a server that stopped answering one command is not trusted with the next
/// (a half-open TCP connection looks exactly like this), and the client reconnects.
final class RedisConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = RedisRequest
    typealias OutboundOut = ByteBuffer

    private struct Waiting {
        var promise: EventLoopPromise<ByteBuffer>
        var timeoutTask: Scheduled<Void>?
    }

    private var waiting = CircularBuffer<Waiting>()
    private var closedError: RedisClientError?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        if let closedError {
            request.promise.fail(closedError)
            promise?.fail(closedError)
            return
        }
        let future = request.promise.futureResult
        let timeoutTask = context.eventLoop.assumeIsolated().scheduleTask(in: request.timeout) {
            self.timeOut(future, context: context)
        }
        waiting.append(Waiting(promise: request.promise, timeoutTask: timeoutTask))
        context.write(wrapOutboundOut(request.bytes), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let reply = unwrapInboundIn(data)
        guard let first = waiting.popFirst() else {
            // A reply nobody asked for: the stream is out of step, nothing after it can be trusted.
            failAll(.connectionClosed, context: context)
            return
        }
        first.timeoutTask?.cancel()
        var reader = RESPReader(reply)
        if let message = reader.readError() {
            first.promise.fail(RedisClientError.server(message))
        } else {
            first.promise.succeed(reply)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(.connectionClosed, context: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let decoding = error as? RESPDecodingError {
            failAll(.protocolError(decoding), context: context)
        } else {
            failAll(.connectionClosed, context: context)
        }
    }

    /// Fails the command that waited too long with `.timeout`, the others with `.connectionClosed`.
    private func timeOut(_ future: EventLoopFuture<ByteBuffer>, context: ChannelHandlerContext) {
        let timedOut = waiting.firstIndex { $0.promise.futureResult === future }.map { waiting.remove(at: $0) }
        failAll(.connectionClosed, context: context)
        timedOut?.promise.fail(RedisClientError.timeout)
    }

    /// Closes the connection, then fails every waiting command with `error`: closed first, so a
    /// caller that sends again at once finds this connection gone and is given a fresh one.
    private func failAll(_ error: RedisClientError, context: ChannelHandlerContext?) {
        if closedError == nil { closedError = error }
        let failed = waiting
        waiting.removeAll()
        context?.close(promise: nil)
        for next in failed {
            next.timeoutTask?.cancel()
            next.promise.fail(error)
        }
    }
}
