import NIOCore
import RelayWire

/// Turns an upstream's streamed answer into the OpenAI event stream the client expects, as
/// the bytes arrive, whatever the upstream speaks.
protocol StreamTranslator: Sendable {
    /// Appends to `out` what the client should get for this read of the upstream body.
    mutating func translate(_ buffer: ByteBuffer, into out: inout [UInt8])
    /// Called when the upstream body ended, for a last line without its newline.
    mutating func finish(into out: inout [UInt8])
    /// Nothing more will be sent: the stream ended properly or with an error event.
    var isFinished: Bool { get }
    /// The upstream reported an error inside the stream (the client got an error event).
    var sawError: Bool { get }
    /// What to settle on: the upstream's counts, else Relay's estimate of what was produced.
    var usage: Usage { get }
    /// The last event of a stream cut short after its first event, in the client's API.
    func failureEvent(_ message: String) -> [UInt8]
    /// A Responses stream's response once it has ended properly, for the stored conversation.
    var response: ResponseOutput? { get }
}

extension StreamTranslator {
    var response: ResponseOutput? { nil }

    /// OpenAI's: `data: {"error": {...}}`, and no `[DONE]` after it.
    func failureEvent(_ message: String) -> [UInt8] {
        var out: [UInt8] = []
        OpenAIStreamRelay.appendEvent(OpenAIErrorBody.upstreamFailed(message), to: &out)
        return out
    }
}

/// An OpenAI-API event stream: SSE framing, then `OpenAIStreamRelay` for each event.
struct OpenAIStreamTranslator: StreamTranslator {
    private var parser = SSEFrameParser()
    private var relay: OpenAIStreamRelay

    init(alias: String, upstreamModel: String, clientWantsUsage: Bool, promptEstimate: Int) {
        self.relay = OpenAIStreamRelay(
            alias: alias, upstreamModel: upstreamModel, clientWantsUsage: clientWantsUsage,
            promptEstimate: promptEstimate)
    }

    package mutating func translate(_ buffer: ByteBuffer, into out: inout [UInt8]) {
        for event in parser.append(buffer) { relay.translate(event, into: &out) }
    }

    mutating func finish(into out: inout [UInt8]) {}

    var isFinished: Bool { relay.sawDone || relay.sawMalformed || relay.sawError }
    var sawError: Bool { relay.sawError }
    var usage: Usage { relay.usage }
}

extension OllamaStreamTranslator: StreamTranslator {}
