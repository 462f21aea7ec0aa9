import NIOConcurrencyHelpers
import NIOCore
import NIOHTTPTypes

/// Sees a client leave its connection at once, so the request in progress can end its upstream call.
///
/// Without it, a client that closes its connection is noticed only when Relay next writes to
/// it: a request whose upstream is silent for a while (a model thinking) would keep the backend
/// generating for nobody until then. The end of the client's input counts as leaving, as for
/// nginx (`proxy_ignore_client_abort off`): HTTP clients do not half-close while they wait.
final class ClientDisconnectHandler: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    let watch = ClientConnectionWatch()

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event { watch.clientLeft() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        watch.clientLeft()
        context.fireChannelInactive()
    }
}

/// One connection's "the client left" signal, and what to do about it.
final class ClientConnectionWatch: Sendable {
    private struct State {
        var left = false
        var onLeave: (@Sendable () -> Void)?
    }

    private let state = NIOLockedValueBox(State())

    /// Runs `action` once when the client leaves, at once if it already has; `nil` stops watching.
    func onLeave(_ action: (@Sendable () -> Void)?) {
        let leftAlready = state.withLockedValue { state -> Bool in
            if state.left { return true }
            state.onLeave = action
            return false
        }
        if leftAlready { action?() }
    }

    func clientLeft() {
        let action = state.withLockedValue { state in
            state.left = true
            return state.onLeave.take()
        }
        action?()
    }

    /// The watch of the connection a request came on, if its pipeline has one.
    static func of(_ channel: (any Channel)?) async -> ClientConnectionWatch? {
        guard let channel else { return nil }
        // A request's task runs on its connection's event loop: no future, no hop.
        if channel.eventLoop.inEventLoop {
            return try? channel.pipeline.syncOperations.handler(type: ClientDisconnectHandler.self).watch
        }
        return try? await channel.pipeline.handler(type: ClientDisconnectHandler.self).map(\.watch).get()
    }
}
