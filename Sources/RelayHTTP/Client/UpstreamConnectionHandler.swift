import NIOCore
import NIOSSL
import RelayWire

/// The handler of an upstream connection (after TLS, if any): sends an exchange's request, reads
/// its answer with ``UpstreamResponseParser`` and hands the parts to that exchange, and holds
/// the socket's reads back while the exchange's queue is full. Runs on the connection's event
/// loop only.
final class UpstreamConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    // Outbound for `read(context:)`, which holds reads back; the requests are its own writes.
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var context: ChannelHandlerContext?
    private var parser = UpstreamResponseParser()
    /// The exchange whose answer is on the wire; `nil` while the connection is idle.
    private var exchange: UpstreamExchange?
    /// The backend allows the connection to serve another request after this answer.
    private var keepAlive = false
    /// The exchange's queue is full: reads wait until it asks for more.
    private var paused = false
    /// A read the channel asked for while paused.
    private var readPending = false
    private var closed = false
    /// The first error seen, reported with the close it causes.
    private var error: (any Error)?
    /// Some byte of the exchange's answer arrived, read or refused by TLS: its request reached
    /// the backend, so it is never sent again.
    private var answerBegan = false
    /// The timer that ends the exchange when its deadline passes, and when it fires. One timer
    /// serves the connection's exchanges one after another: when it fires before the exchange's
    /// deadline (a later exchange's, or one moved on by progress), it is set again for that
    /// deadline, so a timer is scheduled about once per deadline's length, not once per request.
    private var deadlineTimer: (scheduled: Scheduled<Void>, at: NIODeadline)?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func send(_ request: ByteBuffer, toHEAD: Bool, deadline: NIODeadline, for exchange: UpstreamExchange) {
        guard let context, !closed else {
            exchange.connectionEnded(error: error, answerBegan: false)
            return
        }
        self.exchange = exchange
        keepAlive = false
        answerBegan = false
        parser.expectAnswer(toHEAD: toHEAD)
        resume()
        watch(deadline, context: context)
        context.writeAndFlush(wrapOutboundOut(request), promise: nil)
    }

    /// The exchange's deadline moved (an earlier one is waited for at once).
    func watchDeadline(_ deadline: NIODeadline, for exchange: UpstreamExchange) {
        guard self.exchange === exchange, let context else { return }
        watch(deadline, context: context)
    }

    private func watch(_ deadline: NIODeadline, context: ChannelHandlerContext) {
        if let timer = deadlineTimer {
            guard deadline < timer.at else { return }
            timer.scheduled.cancel()
        }
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let scheduled = context.eventLoop.scheduleTask(deadline: deadline) { loopBound.value.deadlineCame() }
        deadlineTimer = (scheduled, deadline)
    }

    private func deadlineCame() {
        deadlineTimer = nil
        guard let exchange, let context, let next = exchange.checkDeadline() else { return }
        watch(next, context: context)
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
        if exchange != nil { answerBegan = true }
        // After a malformed answer nothing more of this connection is read: it is closing.
        guard error == nil else { return }
        parser.read(unwrapInboundIn(data))
        do {
            while let part = try parser.next() { deliver(part) }
        } catch {
            errorCaught(context: context, error: MalformedAnswer(error: error))
        }
    }

    private func deliver(_ part: UpstreamResponseParser.Part) {
        guard let exchange else { return }
        switch part {
        case .head(let head):
            keepAlive = head.keepAlive
            exchange.received(.head(status: head.status, headers: head.fields))
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
        // A TLS record that could not be read is bytes the backend sent in answer.
        if exchange != nil, error is BoringSSLError { answerBegan = true }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        deadlineTimer?.scheduled.cancel()
        deadlineTimer = nil
        let exchange = self.exchange
        self.exchange = nil
        // A body without a length ends with the connection: the answer is complete.
        if error == nil, parser.endsAtClose {
            exchange?.answerEnded(reusable: false)
        } else {
            exchange?.connectionEnded(error: error, answerBegan: answerBegan)
        }
        context.fireChannelInactive()
    }
}

/// An answer that is not HTTP/1.1, as the call's failure tells it.
struct MalformedAnswer: Error, CustomStringConvertible {
    let error: HTTP1ParseError

    var description: String { "the answer has \(error)" }
}
