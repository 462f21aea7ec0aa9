import NIOCore
import RelayWire

/// A Responses stream from a backend that serves Responses itself: SSE framing, then
/// `ResponsesStreamRelay` for each event.
struct ResponsesPassthroughStream: StreamTranslator {
    private var parser = SSEFrameParser()
    private var relay: ResponsesStreamRelay

    init(alias: String, upstreamModel: String, promptEstimate: Int, previousResponseID: String?) {
        self.relay = ResponsesStreamRelay(
            alias: alias, upstreamModel: upstreamModel, promptEstimate: promptEstimate,
            previousResponseID: previousResponseID)
    }

    mutating func translate(_ buffer: ByteBuffer, into out: inout [UInt8]) {
        for event in parser.append(buffer) { relay.translate(event, into: &out) }
    }

    mutating func finish(into out: inout [UInt8]) {}

    var isFinished: Bool { relay.sawEnd || relay.sawError }
    var sawError: Bool { relay.sawError }
    var usage: Usage { relay.usage }

    var response: ResponseOutput? {
        guard relay.sawEnd, let id = relay.responseID, let response = relay.finalResponse,
            let items = relay.outputItems
        else { return nil }
        return ResponseOutput(id: id, response: response, items: items)
    }

    func failureEvent(_ message: String) -> [UInt8] {
        ResponsesStreamRelay.failureEvent(message)
    }
}
