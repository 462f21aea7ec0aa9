import NIOCore
import NIOHTTP1

/// The last handler of an upstream connection's pipeline: sends an exchange's request, hands the
/// answer's parts to that exchange, and holds the socket's reads back while the exchange's queue
/// is full. Runs on the connection's event loop only.
final class UpstreamConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    private var context: ChannelHandlerContext?
    /// The exchange whose answer is on the wire; `nil` while the connection is idle.
    private var exchange: UpstreamExchange?
    /// Both sides allow the connection to serve another request after this answer.
    private var keepAlive = false
    /// The exchange's queue is full: reads wait until it asks for more.
    private var paused = false
    /// A read the channel asked for while paused.
    private var readPending = false
    private var closed = false
    /// The first error seen, reported with the close it causes.
    private var error: (any Error)?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func send(_ head: HTTPRequestHead, body: ByteBuffer?, for exchange: UpstreamExchange) {
        guard let context, !closed else {
            exchange.connectionEnded(error: error)
            return
        }
        self.exchange = exchange
        keepAlive = head.isKeepAlive
        resume()
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    /// The exchange has room in its queue again.
    func resumeReading(for exchange: UpstreamExchange) {
        guard self.exchange === exchange else { return }
        resume()
    }

    private func resume() {
        paused = false
        if readPending, let context {
            readPending = false
            context.read()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let exchange else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            // 1xx heads are interim: the answer's own head follows.
            guard head.status.code >= 200 else { return }
            keepAlive = keepAlive && head.isKeepAlive
            exchange.received(.head(status: Int(head.status.code), headers: head.headers))
        case .body(let buffer):
            if !exchange.received(.chunk(buffer)) { paused = true }
        case .end:
            self.exchange = nil
            exchange.answerEnded(reusable: keepAlive)
        }
    }

    func read(context: ChannelHandlerContext) {
        if paused {
            readPending = true
        } else {
            context.read()
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if self.error == nil { self.error = error }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        let exchange = self.exchange
        self.exchange = nil
        exchange?.connectionEnded(error: error)
        context.fireChannelInactive()
    }
}
