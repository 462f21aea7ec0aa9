import NIOConcurrencyHelpers
import NIOCore

/// One connection's "the client left" signal, and what to do about it.
///
/// Without it, a client that closes its connection is noticed only when Relay next writes to
/// it: a request whose upstream is silent for a while (a model thinking) would keep the backend
/// generating for nobody until then. ``ConnectionInbox`` raises it when the connection closes or
/// its input ends.
package final class ClientConnectionWatch: Sendable {
    private struct State {
        var left = false
        var onLeave: (@Sendable () -> Void)?
    }

    private let state = NIOLockedValueBox(State())

    /// Runs `action` once when the client leaves, at once if it already has; `nil` stops watching.
    package func onLeave(_ action: (@Sendable () -> Void)?) {
        let leftAlready = state.withLockedValue { state -> Bool in
            if state.left { return true }
            state.onLeave = action
            return false
        }
        if leftAlready { action?() }
    }

    package func clientLeft() {
        let action = state.withLockedValue { state in
            state.left = true
            return state.onLeave.take()
        }
        action?()
    }
}
