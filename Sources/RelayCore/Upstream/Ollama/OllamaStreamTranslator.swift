import NIOCore
import RelayWire

/// Turns a streamed Ollama answer (NDJSON from `/api/chat` or `/api/generate`) into the OpenAI
/// event stream the client expects, as the bytes arrive.
///
/// The output: one `id` and `created` for every chunk; for chat, a first chunk with
/// `role: assistant`; a chunk per line that carries text, thinking or tool calls; a last chunk
/// with `finish_reason`; the usage chunk (`choices: []`) when the client asked for it; then
/// `data: [DONE]`. An `{"error": ...}` line becomes an error event and ends the stream without
/// `[DONE]`. Lines may be cut anywhere across reads: the output does not depend on how.
///
/// ```swift
/// var translator = OllamaStreamTranslator(
///     kind: .chat, alias: "qwen2.5", upstreamModel: "qwen2.5:7b",
///     clientWantsUsage: request.includeUsage, promptEstimate: estimate)
/// var out: [UInt8] = []
/// translator.translate(buffer, into: &out)      // for each read of the upstream body
/// translator.finish(into: &out)                 // when the upstream body ends
/// if !translator.sawDone { /* cut short: translator.sawError tells whether Ollama said why */ }
/// limiter.settle(translator.usage)
/// ```
package struct OllamaStreamTranslator: Sendable {
    package enum Kind: Sendable {
        /// `/api/chat` lines into `chat.completion.chunk` events.
        case chat
        /// `/api/generate` lines into `text_completion` events.
        case completion
    }

    /// A line longer than this is refused rather than buffered without bound.
    static let maxLineBytes = 16 * 1024 * 1024

    private let kind: Kind
    private let upstreamModel: String
    private let alias: String
    private let clientWantsUsage: Bool
    private let promptEstimate: Int
    private let ids: OpenAIResponseID
    private var chunks: OpenAIChunkWriter
    private var lines = NDJSONLineSplitter()
    private var started = false
    private var toolCallCount = 0
    private var contentChunks = 0
    private var contentBytes = 0

    /// The counts of Ollama's final line (`prompt_eval_count`, `eval_count`), once it came.
    private(set) var reportedUsage: Usage?
    /// Ollama's final line (`done: true`) came; the client got the last chunk and `[DONE]`.
    package private(set) var sawDone = false
    /// The stream failed (an error line, a line that is not JSON); the client got an error
    /// event and no `[DONE]`.
    private(set) var sawError = false
    /// Why the stream failed, as told to the client.
    private(set) var errorMessage: String?

    /// Nothing more will be sent to the client, whatever else arrives.
    var isFinished: Bool { sawDone || sawError }

    /// The usage to settle the limiter on: Ollama's counts, else Relay's estimate of what was
    /// produced so far (a stream cut short).
    var usage: Usage {
        reportedUsage
            ?? Usage.streamEstimate(prompt: promptEstimate, textPieces: contentChunks, textBytes: contentBytes)
    }

    /// Bytes of an unfinished line are held (the body ended mid-line if nothing follows).
    var hasPartialLine: Bool { lines.partialLineCount > 0 }

    /// - Parameters:
    ///   - upstreamModel: replaced by `alias` in error messages, which must not reveal it.
    ///   - promptEstimate: prompt tokens to settle on when Ollama never sends its counts.
    ///   - id: the chunks' `id`; a random `chatcmpl-…`/`cmpl-…` by default.
    ///   - now: `created` when the first line has no usable `created_at`.
    package init(
        kind: Kind,
        alias: String,
        upstreamModel: String,
        clientWantsUsage: Bool,
        promptEstimate: Int,
        id: OpenAIResponseID? = nil,
        now: Int = OllamaTimestamp.now()
    ) {
        self.kind = kind
        self.alias = alias
        self.upstreamModel = upstreamModel
        self.clientWantsUsage = clientWantsUsage
        self.promptEstimate = promptEstimate
        let ids = id ?? (kind == .chat ? .chatCompletion() : .completion())
        self.ids = ids
        self.chunks = OpenAIChunkWriter(
            object: kind == .chat ? .chatCompletionChunk : .textCompletion, id: ids.id, model: alias, created: now)
    }

    /// Appends to `out` the events for the lines completed by one read of the upstream body.
    package mutating func translate(_ buffer: ByteBuffer, into out: inout [UInt8]) {
        buffer.withUnsafeReadableBytes { translate($0, into: &out) }
    }

    package mutating func translate(_ bytes: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        guard !isFinished else { return }
        for line in lines.append(bytes) { handle(line, into: &out) }
        if !isFinished, lines.partialLineCount > Self.maxLineBytes {
            fail("the backend sent a stream line longer than \(Self.maxLineBytes) bytes", into: &out)
        }
    }

    package mutating func translate(_ bytes: [UInt8], into out: inout [UInt8]) {
        bytes.withUnsafeBytes { translate($0, into: &out) }
    }

    /// Call when the upstream body ended: translates a last line that had no newline.
    mutating func finish(into out: inout [UInt8]) {
        guard !isFinished, let line = lines.takeUnterminatedLine() else { return }
        handle(line, into: &out)
    }

    // MARK: Lines

    private mutating func handle(_ line: [UInt8], into out: inout [UInt8]) {
        guard !isFinished, line.contains(where: { !Self.isWhitespace($0) }) else { return }
        guard let object = try? JSONScanner.object(in: line) else {
            fail("the backend sent a stream line that is not a JSON object", into: &out)
            return
        }
        if object.member("error") != nil {
            fail(OllamaErrorMessage.message(of: object) ?? "the backend reported an error", into: &out)
            return
        }
        if !started {
            started = true
            if let created = object.string("created_at").flatMap(OllamaTimestamp.unixSeconds) {
                chunks.created = created
            }
            if kind == .chat {
                chunks.appendChoice(Array(#"{"role":"assistant","content":""}"#.utf8), finishReason: nil, to: &out)
            }
        }
        switch kind {
        case .chat: appendChatDelta(of: object, to: &out)
        case .completion: appendText(of: object, to: &out)
        }
        if object.bool("done") == true { end(with: object, into: &out) }
    }

    /// One chunk for what the line's `message` adds: thinking, content and tool calls together.
    private mutating func appendChatDelta(of line: JSONObject, to out: inout [UInt8]) {
        guard let message = line.object("message") else { return }
        var delta = JSONObjectBuilder()
        if let thinking = nonEmptyString("thinking", in: message) {
            delta.add("reasoning_content", raw: thinking)
            count(thinking)
        }
        if let content = nonEmptyString("content", in: message) {
            delta.add("content", raw: content)
            count(content)
        }
        if let elements = message.array("tool_calls"), !elements.isEmpty {
            let calls = OllamaToolCalls.openAI(
                elements, in: message.bytes, ids: ids, firstIndex: toolCallCount, withIndex: true)
            if !calls.isEmpty {
                var list = JSONArrayBuilder()
                for call in calls {
                    list.append(raw: call)
                    contentBytes += call.count
                }
                delta.add("tool_calls", raw: list.bytes())
                toolCallCount += calls.count
                contentChunks += 1
            }
        }
        guard !delta.isEmpty else { return }
        chunks.appendChoice(delta.bytes(), finishReason: nil, to: &out)
    }

    private mutating func appendText(of line: JSONObject, to out: inout [UInt8]) {
        guard let text = nonEmptyString("response", in: line) else { return }
        count(text)
        chunks.appendChoice(text, finishReason: nil, to: &out)
    }

    /// Ollama's final line: the finish reason, the usage chunk when asked for, `[DONE]`.
    private mutating func end(with line: JSONObject, into out: inout [UInt8]) {
        let usage = Usage(ollama: line)
        reportedUsage = usage
        let finishReason = OllamaFinishReason.openAI(
            doneReason: line.string("done_reason"), calledTools: toolCallCount > 0)
        switch kind {
        case .chat: chunks.appendChoice(Array("{}".utf8), finishReason: finishReason, to: &out)
        case .completion: chunks.appendChoice(Array("\"\"".utf8), finishReason: finishReason, to: &out)
        }
        if clientWantsUsage { chunks.appendUsage(usage, to: &out) }
        OpenAIChunkWriter.appendDone(to: &out)
        sawDone = true
    }

    private mutating func fail(_ message: String, into out: inout [UInt8]) {
        let message = OllamaErrorMessage.hidingModel(upstreamModel, behind: alias, in: message)
        sawError = true
        errorMessage = message
        OpenAIChunkWriter.appendError(message, to: &out)
    }

    // MARK: Helpers

    /// The raw JSON string literal of `key` when it is a string with at least one character.
    private func nonEmptyString(_ key: String, in object: JSONObject) -> ArraySlice<UInt8>? {
        guard let member = object.member(key), object.kind(of: member.valueRange) == .string,
            member.valueRange.count > 2
        else { return nil }
        return object.bytes[member.valueRange]
    }

    private mutating func count(_ text: ArraySlice<UInt8>) {
        contentChunks += 1
        contentBytes += text.count - 2
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
            || byte == UInt8(ascii: "\n")
    }
}
