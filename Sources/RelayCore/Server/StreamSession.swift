import NIOConcurrencyHelpers
import NIOCore
import RelayHTTP

/// A stream whose response has been handed to the server: forwards the rest of it, and ends
/// its call (`CallOwner`).
///
/// The backend slot is given back the moment the upstream's answer ends, even while the session
/// still waits to write to a client that reads slowly; the reservations are settled once the
/// session has read the upstream's end (a client that stops reading is cut off after
/// `server.write_timeout_s`); the access line is written once the client has been sent
/// everything, or has left. If the connection never
/// writes the body (the client left before the status line could be written), the session is
/// released unused and ends the call in `deinit` instead.
final class StreamSession: Sendable {
    private let exchange: UpstreamExchange
    private let watch: ClientConnectionWatch
    private let call: CallOwner
    /// Taken by whichever runs first: the body writer or `deinit`.
    private let pending: NIOLockedValueBox<StreamForwarder.State?>

    init(exchange: UpstreamExchange, watch: ClientConnectionWatch, call: CallOwner, state: StreamForwarder.State) {
        self.exchange = exchange
        self.watch = watch
        self.call = call
        self.pending = NIOLockedValueBox(state)
        exchange.onEnd { [call] in call.releaseSlot() }
    }

    /// Runs on the connection's loop, where the writer's connection is.
    package func run(_ writer: consuming ChannelResponseBodyWriter) async throws {
        guard var state = pending.withLockedValue({ $0.take() }) else { return }
        // A client that leaves ends the upstream call at once, not at the next write to it.
        watch.onLeave { [exchange] in exchange.cancel(clientLeft: true) }
        await forward(&state, writer: &writer)
        watch.onLeave(nil)
        await Self.upstreamEnded(state, exchange: exchange, call: call)
        await call.finish(Self.finalRecord(state))
        try await writer.finish(nil)
    }

    deinit {
        guard var state = pending.withLockedValue({ $0.take() }) else { return }
        state.record.error = "client disconnected"
        let (exchange, call) = (exchange, call)
        Task {
            await Self.upstreamEnded(state, exchange: exchange, call: call)
            await call.finish(Self.finalRecord(state))
        }
    }

    /// Sends the first event, then each translated read of the upstream as it arrives, until the
    /// stream ends, fails, or the client leaves or stops reading.
    private func forward(_ state: inout StreamForwarder.State, writer: inout ChannelResponseBodyWriter) async {
        // The whole stream may have come with the first read.
        if state.translator.isFinished { await Self.keepResponse(&state) }
        guard await Self.send(state.first, &writer) else {
            state.record.error = "client disconnected"
            return
        }
        while !state.translator.isFinished {
            let event: UpstreamExchange.Event?
            do {
                event = try await exchange.next()
            } catch {
                if exchange.clientLeft {
                    state.record.error = "client disconnected"
                    return
                }
                let message = error.describe(backend: state.record.backend)
                state.record.error = message
                state.upstreamFailed = true
                await Self.upstreamEnded(state, exchange: exchange, call: call)
                _ = await Self.send(state.translator.failureEvent(message), &writer)
                return
            }
            var out: [UInt8] = []
            if let event {
                guard case .chunk(let buffer) = event else { continue }
                state.translator.translate(buffer, into: &out)
            } else {
                state.translator.finish(into: &out)
            }
            let ended = event == nil || state.translator.isFinished
            if ended {
                Self.judgeEnd(&state)
                await Self.upstreamEnded(state, exchange: exchange, call: call)
                await Self.keepResponse(&state)
            }
            if !out.isEmpty, !(await Self.send(out, &writer)) {
                state.record.error = state.record.error ?? "client disconnected"
                return
            }
            if ended { break }
        }
        if state.upstreamFailed, !state.translator.sawError {
            // Cut short with no word from the upstream: the client is told so.
            _ = await Self.send(state.translator.failureEvent(state.record.error ?? ""), &writer)
        }
    }

    /// Keeps a Responses stream's response once it has ended properly: before the client reads
    /// the end, so that a follow-up sent the moment it arrives finds it.
    private static func keepResponse(_ state: inout StreamForwarder.State) async {
        guard !state.upstreamFailed, let keeper = state.keeper, let response = state.translator.response else { return }
        state.record.error = await keeper.keep(response)
    }

    /// Whether the stream that just ended ended properly.
    private static func judgeEnd(_ state: inout StreamForwarder.State) {
        if state.translator.sawError {
            state.record.error = "\(state.record.backend): error event inside the stream"
            state.upstreamFailed = true
        } else if !state.translator.isFinished {
            state.record.error = "\(state.record.backend): the stream ended before [DONE]"
            state.upstreamFailed = true
        }
    }

    /// The upstream call is over: its slot back (a failure told to its circuit), the
    /// reservations settled to what it produced. A client that left is charged for what the
    /// upstream produced until then. Safe to call more than once.
    private static func upstreamEnded(_ state: StreamForwarder.State, exchange: UpstreamExchange, call: CallOwner) async
    {
        exchange.cancel()
        if state.upstreamFailed { call.recordOutcome(success: false) }
        call.releaseSlot()
        await call.settle(.usage(state.translator.usage))
    }

    private static func finalRecord(_ state: StreamForwarder.State) -> AccessRecord {
        var record = state.record
        record.usage = state.translator.usage
        return record
    }

    private static func send(_ bytes: [UInt8], _ writer: inout ChannelResponseBodyWriter) async -> Bool {
        do {
            try await writer.write(ByteBuffer(bytes: bytes))
            return true
        } catch {
            return false
        }
    }
}
