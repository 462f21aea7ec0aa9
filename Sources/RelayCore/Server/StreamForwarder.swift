import HTTPTypes
import NIOCore

/// Forwards an upstream event stream to the client event by event as it arrives.
///
/// `start` reads until the first event the client will see, so a stream that fails before it
/// can still fall back; only then does the response (status line and headers) go out, and the
/// rest of the stream is forwarded by the response body writer.
enum StreamForwarder {
    static func start(
        exchange: UpstreamExchange,
        started: NIODeadline,
        translator initial: any StreamTranslator,
        call: ProxyHandler.Call,
        fallbackReservation: Reservation?,
        target: Target,
        headers upstreamHeaders: HTTPFields,
        record: inout AccessRecord
    ) async throws(UpstreamFailure) -> RelayResponse {
        var translator = initial
        var first: [UInt8] = []
        while first.isEmpty {
            guard let event = try await exchange.next() else {
                translator.finish(into: &first)
                if first.isEmpty { throw .broken("the stream ended before its first event") }
                break
            }
            guard case .chunk(let buffer) = event else { continue }
            translator.translate(buffer, into: &first)
        }
        // An error as the very first event: nothing reached the client yet, so fall back.
        if translator.sawError { throw .broken("the stream began with an error") }
        let backend = target.backend
        let firstEventAt = NIODeadline.now()
        record.firstTokenAt = firstEventAt
        record.upstreamTime = record.upstreamTime + (firstEventAt - started)
        record.status = 200
        exchange.extendDeadlineOnProgress(
            idle: TimeAmount(seconds: backend.config.idleTimeout),
            phase: backend.silenceWait
        )

        var fields = upstreamHeaders
        fields[.contentType] = "text/event-stream"
        fields[.cacheControl] = "no-cache"
        record.handedOverAt = .now()
        let session = StreamSession(
            exchange: exchange,
            watch: call.handler.watch,
            backend: backend,
            gateway: call.handler.gateway,
            reservations: [call.reservation] + (fallbackReservation.map { [$0] } ?? []),
            state: State(translator: translator, first: first, record: record)
        )
        return RelayResponse(
            status: .ok, headers: fields, body: .stream(session))
    }

    struct State: Sendable {
        var translator: any StreamTranslator
        var first: [UInt8]
        var record: AccessRecord
        /// The upstream failed after the first event: it counts against its circuit.
        var upstreamFailed = false
    }

    static func forward(
        _ exchange: UpstreamExchange,
        state: inout State,
        writer: inout ChannelResponseBodyWriter
    ) async {
        guard await send(state.first, &writer) else {
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
                _ = await send(streamError(message), &writer)
                return
            }
            var out: [UInt8] = []
            if let event {
                guard case .chunk(let buffer) = event else { continue }
                state.translator.translate(buffer, into: &out)
            } else {
                state.translator.finish(into: &out)
            }
            if !out.isEmpty, !(await send(out, &writer)) {
                state.record.error = "client disconnected"
                return
            }
            if event == nil { break }
        }
        if state.translator.sawError {
            state.record.error = "\(state.record.backend): error event inside the stream"
            state.upstreamFailed = true
        } else if !state.translator.isFinished {
            let message = "\(state.record.backend): the stream ended before [DONE]"
            state.record.error = message
            state.upstreamFailed = true
            _ = await send(streamError(message), &writer)
        }
    }

    private static func send(_ bytes: [UInt8], _ writer: inout ChannelResponseBodyWriter) async -> Bool {
        do {
            try await writer.write(ByteBuffer(bytes: bytes))
            return true
        } catch {
            return false
        }
    }

    /// A failure after the first event cannot change the status: it ends the stream with an
    /// error event and no `[DONE]`.
    static func streamError(_ message: String) -> [UInt8] {
        var out: [UInt8] = []
        OpenAIStreamRelay.appendEvent(
            RelayError.upstreamFailed(message: message, everyTargetTried: false).body, to: &out)
        return out
    }
}
