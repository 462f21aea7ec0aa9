import NIOCore
import NIOHTTPTypes

/// Holds back "close when idle" (`ChannelShouldQuiesceEvent`, sent to every connection when the
/// listener closes at the end of the drain) from a connection with no request in progress until
/// it has been quiet for `grace`.
///
/// Hummingbird closes such a connection at once, which loses a request already on its way: a
/// balancer that opened a connection and sent a POST just before the listener closed sees it
/// closed unanswered, and must not send a POST again (nginx answers 502). A request whose head
/// arrives within `grace` is answered instead (with `Connection: close`, as every answer while
/// draining), and the connection closes after it.
final class QuiesceGraceHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    static let grace = TimeAmount.seconds(1)

    private let grace: TimeAmount
    /// Requests read whose answer has not ended yet.
    private var inProgress = 0
    /// Set while the quiesce event is held back.
    private var heldQuiesce: Scheduled<Void>?

    init(grace: TimeAmount = QuiesceGraceHandler.grace) {
        self.grace = grace
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent, inProgress == 0, heldQuiesce == nil else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        heldQuiesce = context.eventLoop.scheduleTask(in: grace) {
            let (handler, context) = loopBound.value
            handler.passQuiesceOn(context)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        inProgress += 1
        context.fireChannelRead(data)
        // After the head: Hummingbird sees a request in progress and closes once it is answered.
        if let heldQuiesce {
            heldQuiesce.cancel()
            passQuiesceOn(context)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { inProgress = max(0, inProgress - 1) }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        heldQuiesce?.cancel()
        heldQuiesce = nil
        context.fireChannelInactive()
    }

    private func passQuiesceOn(_ context: ChannelHandlerContext) {
        heldQuiesce = nil
        context.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
    }
}
