import NIOCore
import RelayWire

/// A Responses stream made from a chat stream: `chat` turns the upstream's bytes into OpenAI
/// chat events (as they come from an OpenAI-API backend, or translated from Ollama's), and
/// `ResponsesStreamWriter` turns those into the Responses API's events, under an id Relay makes.
struct ResponsesOverChatStream<Chat: StreamTranslator>: StreamTranslator {
    private var chat: Chat
    private var parser = SSEFrameParser()
    private var writer: ResponsesStreamWriter
    private let id: String

    init(chat: Chat, alias: String, upstreamModel: String, client: ClientRequest, promptEstimate: Int) {
        let id = ResponseOutput.newID()
        self.id = id
        self.chat = chat
        self.writer = ResponsesStreamWriter(
            id: id, alias: alias, upstreamModel: upstreamModel, createdAt: ResponseOutput.now(),
            promptEstimate: promptEstimate, request: client)
    }

    mutating func translate(_ buffer: ByteBuffer, into out: inout [UInt8]) {
        var events: [UInt8] = []
        chat.translate(buffer, into: &events)
        write(events, into: &out)
    }

    mutating func finish(into out: inout [UInt8]) {
        var events: [UInt8] = []
        chat.finish(into: &events)
        write(events, into: &out)
        writer.finish(into: &out)
    }

    private mutating func write(_ events: [UInt8], into out: inout [UInt8]) {
        guard !events.isEmpty else { return }
        let parsed = events.withUnsafeBytes { parser.append($0) }
        for event in parsed { writer.translate(event, into: &out) }
    }

    var isFinished: Bool { writer.isFinished }
    var sawError: Bool { writer.sawError }
    var usage: Usage { writer.usage }

    var response: ResponseOutput? {
        guard writer.sawEnd, let response = writer.finalResponse else { return nil }
        return ResponseOutput(id: id, response: response, items: writer.outputItems)
    }

    /// `response.failed` would need the writer's state; OpenAI's `error` event says the same.
    func failureEvent(_ message: String) -> [UInt8] { ResponsesStreamRelay.failureEvent(message) }
}
