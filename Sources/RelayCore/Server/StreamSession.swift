import NIOConcurrencyHelpers
import NIOCore

/// A stream whose response has been handed to the server: forwards the rest of it, then
/// releases the backend slot, settles the tokens and writes the access line, exactly once.
///
/// If the connection never writes the body (the client left before the status line could be
/// written), the session is released unused and cleans up in `deinit` instead.
final class StreamSession: Sendable {
    private let exchange: UpstreamExchange
    private let watch: ClientConnectionWatch
    private let backend: Backend
    private let gateway: Gateway
    /// The key's reservation, and its fallback_tpm reservation when a fallback serves.
    private let reservations: [Reservation]
    /// Taken by whichever runs first: the body writer or `deinit`.
    private let pending: NIOLockedValueBox<StreamForwarder.State?>

    init(
        exchange: UpstreamExchange,
        watch: ClientConnectionWatch,
        backend: Backend,
        gateway: Gateway,
        reservations: [Reservation],
        state: StreamForwarder.State
    ) {
        self.exchange = exchange
        self.watch = watch
        self.backend = backend
        self.gateway = gateway
        self.reservations = reservations
        self.pending = NIOLockedValueBox(state)
    }

    /// Runs on the connection's loop, where the writer's connection is.
    func run(_ writer: consuming ChannelResponseBodyWriter) async throws {
        guard var state = pending.withLockedValue({ $0.take() }) else { return }
        // A client that leaves ends the upstream call at once, not at the next write to it.
        watch.onLeave { [exchange] in exchange.cancel(clientLeft: true) }
        await StreamForwarder.forward(exchange, state: &state, writer: &writer)
        watch.onLeave(nil)
        let usage = finish(state)
        for reservation in reservations { await gateway.settle(reservation, usage: usage) }
        try await writer.finish(nil)
    }

    deinit {
        guard var state = pending.withLockedValue({ $0.take() }) else { return }
        state.record.error = "client disconnected"
        let usage = finish(state)
        let (gateway, reservations) = (gateway, reservations)
        Task { for reservation in reservations { await gateway.settle(reservation, usage: usage) } }
    }

    /// Ends the upstream call and logs; returns the usage to settle on. A client that left is
    /// charged for what the upstream produced until then.
    private func finish(_ state: StreamForwarder.State) -> Usage {
        exchange.cancel()
        backend.release()
        if state.upstreamFailed { backend.circuit.recordFailure() }
        var record = state.record
        record.usage = state.translator.usage
        gateway.logAccess(record)
        return state.translator.usage
    }
}
