import NIOCore
import RelayWire

/// A Messages stream made from a chat stream: `chat` turns the upstream's bytes into OpenAI chat
/// events (as they come from an OpenAI-API backend, or translated from Ollama's), and
/// `MessagesStreamWriter` turns those into Anthropic's events.
struct MessagesOverChatStream<Chat: StreamTranslator>: StreamTranslator {
    private var chat: Chat
    private var parser = SSEFrameParser()
    private var writer: MessagesStreamWriter

    init(chat: Chat, alias: String, upstreamModel: String, promptEstimate: Int) {
        self.chat = chat
        self.writer = MessagesStreamWriter(alias: alias, upstreamModel: upstreamModel, promptEstimate: promptEstimate)
    }

    package mutating func translate(_ buffer: ByteBuffer, into out: inout [UInt8]) {
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

    func failureEvent(_ message: String) -> [UInt8] { MessagesStreamRelay.failureEvent(message) }
}
