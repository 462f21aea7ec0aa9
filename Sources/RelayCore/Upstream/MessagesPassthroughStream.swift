import NIOCore
import RelayWire

/// A Messages stream from a backend that serves Messages itself: SSE framing, then
/// `MessagesStreamRelay` for each event.
struct MessagesPassthroughStream: StreamTranslator {
    private var parser = SSEFrameParser()
    private var relay: MessagesStreamRelay

    init(alias: String, upstreamModel: String, promptEstimate: Int) {
        self.relay = MessagesStreamRelay(alias: alias, upstreamModel: upstreamModel, promptEstimate: promptEstimate)
    }

    package mutating func translate(_ buffer: ByteBuffer, into out: inout [UInt8]) {
        for event in parser.append(buffer) { relay.translate(event, into: &out) }
    }

    mutating func finish(into out: inout [UInt8]) {}

    var isFinished: Bool { relay.sawStop || relay.sawError }
    var sawError: Bool { relay.sawError }
    var usage: Usage { relay.usage }

    func failureEvent(_ message: String) -> [UInt8] {
        MessagesStreamRelay.failureEvent(message)
    }
}
