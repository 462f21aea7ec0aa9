import RelayWire

/// Writes the OpenAI stream events of one translated answer: `data: {...}\n\n` chunks that
/// all carry the same `id`, `created` and `model`.
struct OpenAIChunkWriter: Sendable {
    enum Object: Sendable {
        /// `chat.completion.chunk`, choices carry a `delta`.
        case chatCompletionChunk
        /// `text_completion`, choices carry `text`.
        case textCompletion
    }

    let object: Object
    package let id: String
    let model: String
    var created: Int

    /// A chunk with one choice; `choiceBody` holds the choice's members between `index` and
    /// `logprobs` (`"delta":{...}` or `"text":"..."`).
    func appendChoice(_ choiceBody: some Sequence<UInt8>, finishReason: String?, to out: inout [UInt8]) {
        var choice = JSONObjectBuilder()
        switch object {
        case .chatCompletionChunk:
            choice.add("index", int: 0)
            choice.add("delta", raw: choiceBody)
        case .textCompletion:
            choice.add("text", raw: choiceBody)
            choice.add("index", int: 0)
        }
        choice.addNull("logprobs")
        if let finishReason {
            choice.add("finish_reason", string: finishReason)
        } else {
            choice.addNull("finish_reason")
        }
        appendChunk(choices: [UInt8(ascii: "[")] + choice.bytes() + [UInt8(ascii: "]")], usage: nil, to: &out)
    }

    /// The usage chunk OpenAI sends last when `stream_options.include_usage` is set: no choices.
    func appendUsage(_ usage: Usage, to out: inout [UInt8]) {
        appendChunk(choices: Array("[]".utf8), usage: usage, to: &out)
    }

    private func appendChunk(choices: [UInt8], usage: Usage?, to out: inout [UInt8]) {
        var chunk = JSONObjectBuilder()
        chunk.add("id", string: id)
        switch object {
        case .chatCompletionChunk: chunk.add("object", string: "chat.completion.chunk")
        case .textCompletion: chunk.add("object", string: "text_completion")
        }
        chunk.add("created", int: created)
        chunk.add("model", string: model)
        chunk.add("choices", raw: choices)
        if let usage { chunk.add("usage", raw: usage.json) }
        OpenAIStreamRelay.appendEvent(chunk.bytes(), to: &out)
    }

    static func appendDone(to out: inout [UInt8]) {
        OpenAIStreamRelay.appendEvent(Array("[DONE]".utf8), to: &out)
    }

    /// `data: {"error":{...}}`, what Relay sends when a stream fails after its first event.
    static func appendError(_ message: String, to out: inout [UInt8]) {
        var error = JSONObjectBuilder()
        error.add("message", string: message)
        error.add("type", string: "api_error")
        error.addNull("param")
        error.add("code", string: "upstream_error")
        var body = JSONObjectBuilder()
        body.add("error", raw: error.bytes())
        OpenAIStreamRelay.appendEvent(body.bytes(), to: &out)
    }
}
