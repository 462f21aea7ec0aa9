import HTTPTypes
import NIOCore
import RelayHTTP
import RelayWire

/// Reads an upstream event stream up to the first event the client will see, so that a stream
/// that fails before it can still fall back; only then does the response (status line and
/// headers) go out, and its `StreamSession` forwards the rest event by event.
enum StreamForwarder {
    static func start(
        exchange: UpstreamExchange,
        started: NIODeadline,
        translator initial: any StreamTranslator,
        call: CallOwner,
        watch: ClientConnectionWatch,
        target: Target,
        headers upstreamHeaders: HTTPFields,
        keeper: ResponsesKeeper? = nil,
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
            watch: watch,
            call: call,
            state: State(translator: translator, first: first, record: record, keeper: keeper)
        )
        return RelayResponse(status: .ok, headers: fields, body: .stream(session))
    }

    /// A stream in progress: what has been read of it, and its record.
    struct State: Sendable {
        var translator: any StreamTranslator
        /// The first event's bytes, read by `start`, not sent yet.
        var first: [UInt8]
        var record: AccessRecord
        /// Where a Responses stream's response is kept when it ends properly.
        var keeper: ResponsesKeeper?
        /// The upstream failed after the first event: it counts against its circuit.
        var upstreamFailed = false
    }
}
