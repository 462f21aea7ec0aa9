import Hummingbird
import NIOCore

/// Forwards an upstream event stream to the client event by event as it arrives.
///
/// `start` reads until the first event the client will see, so a stream that fails before it
/// can still fall back; only then does the response (status line and headers) go out, and the
/// rest of the stream is forwarded by the response body writer.
enum StreamForwarder {
    static func start(
        exchange: UpstreamExchange,
        call: ProxyHandler.Call,
        target: Target,
        headers upstreamHeaders: HTTPFields,
        record: inout AccessRecord
    ) async throws(UpstreamFailure) -> Response {
        var parser = SSEFrameParser()
        var relay = OpenAIStreamRelay(
            alias: call.alias,
            clientWantsUsage: call.client.includeUsage,
            promptEstimate: call.promptEstimate
        )
        var first: [UInt8] = []
        while first.isEmpty {
            guard let event = try await exchange.next() else {
                throw .broken("the stream ended before its first event")
            }
            guard case .chunk(let buffer) = event else { continue }
            for frame in parser.append(buffer) { relay.translate(frame, into: &first) }
        }
        let backend = target.backend
        record.firstTokenAt = .now()
        record.status = 200
        exchange.extendDeadlineOnProgress(
            idle: TimeAmount(seconds: backend.config.idleTimeout),
            phase: "after \(ProxyHandler.Call.seconds(backend.config.idleTimeout)) of silence inside the stream"
        )

        var fields = upstreamHeaders
        fields[.contentType] = "text/event-stream"
        fields[.cacheControl] = "no-cache"
        call.handler.gateway.decorate(&fields, record: record)
        let session = StreamSession(
            exchange: exchange,
            backend: backend,
            gateway: call.handler.gateway,
            reservation: call.reservation,
            state: State(parser: parser, relay: relay, first: first, record: record)
        )
        return Response(status: .ok, headers: fields, body: ResponseBody { writer in try await session.run(&writer) })
    }

    struct State: Sendable {
        var parser: SSEFrameParser
        var relay: OpenAIStreamRelay
        var first: [UInt8]
        var record: AccessRecord
    }

    static func forward(
        _ exchange: UpstreamExchange,
        state: inout State,
        writer: inout any ResponseBodyWriter
    ) async {
        guard await send(state.first, &writer) else {
            state.record.error = "client disconnected"
            return
        }
        while !state.relay.sawDone {
            let event: UpstreamExchange.Event?
            do {
                event = try await exchange.next()
            } catch {
                let message = error.describe(backend: state.record.backend)
                state.record.error = message
                _ = await send(streamError(message), &writer)
                return
            }
            guard let event else { break }
            guard case .chunk(let buffer) = event else { continue }
            var out: [UInt8] = []
            for frame in state.parser.append(buffer) { state.relay.translate(frame, into: &out) }
            if !out.isEmpty, !(await send(out, &writer)) {
                state.record.error = "client disconnected"
                return
            }
        }
        if !state.relay.sawDone {
            let message = "\(state.record.backend): the stream ended before [DONE]"
            state.record.error = message
            _ = await send(streamError(message), &writer)
        }
    }

    private static func send(_ bytes: [UInt8], _ writer: inout any ResponseBodyWriter) async -> Bool {
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
