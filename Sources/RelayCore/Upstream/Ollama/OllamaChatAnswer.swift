import RelayWire

/// Translates a non-streamed Ollama `/api/chat` answer into an OpenAI `chat.completion`.
///
/// ```swift
/// let answer = try OllamaChatAnswer.translate(ollamaBody, alias: "qwen2.5")
/// // answer.body: {"id":"chatcmpl-…","object":"chat.completion","created":1702390423,"model":"qwen2.5",
/// //   "choices":[{"index":0,"message":{"role":"assistant","content":"Hello!"},"logprobs":null,
/// //   "finish_reason":"stop"}],"usage":{"prompt_tokens":26,"completion_tokens":298,"total_tokens":324}}
/// // answer.usage: the same counts, for the limiter
/// ```
///
/// `content` is copied byte for byte; it is `null` when the model only called tools, as in
/// OpenAI. A thinking model's `thinking` becomes `reasoning_content` (vLLM's and DeepSeek's name).
enum OllamaChatAnswer {
    package static func translate(
        _ body: [UInt8],
        alias: String,
        id: OpenAIResponseID = .chatCompletion(),
        now: Int = OllamaTimestamp.now()
    ) throws(OllamaAnswerError) -> OllamaAnswer {
        let object = try OllamaAnswerError.object(in: body)
        guard let message = object.object("message") else {
            throw OllamaAnswerError("the backend's answer has no message")
        }
        let calls = OllamaToolCalls.openAI(
            message.array("tool_calls") ?? [], in: body, ids: id, firstIndex: 0, withIndex: false)

        var openAIMessage = JSONObjectBuilder()
        openAIMessage.add("role", string: "assistant")
        let content = message.member("content").flatMap {
            message.kind(of: $0.valueRange) == .string ? body[$0.valueRange] : nil
        }
        if let content, content.count > 2 || calls.isEmpty {
            openAIMessage.add("content", raw: content)
        } else {
            openAIMessage.add("content", raw: calls.isEmpty ? Array("\"\"".utf8) : Array("null".utf8))
        }
        if let thinking = message.member("thinking"), message.kind(of: thinking.valueRange) == .string,
            thinking.valueRange.count > 2
        {
            openAIMessage.add("reasoning_content", raw: body[thinking.valueRange])
        }
        if !calls.isEmpty {
            var list = JSONArrayBuilder()
            for call in calls { list.append(raw: call) }
            openAIMessage.add("tool_calls", raw: list.bytes())
        }

        var choice = JSONObjectBuilder()
        choice.add("index", int: 0)
        choice.add("message", raw: openAIMessage.bytes())
        choice.addNull("logprobs")
        choice.add(
            "finish_reason",
            string: OllamaFinishReason.openAI(doneReason: object.string("done_reason"), calledTools: !calls.isEmpty))

        let usage = Usage(ollama: object)
        var completion = JSONObjectBuilder()
        completion.add("id", string: id.id)
        completion.add("object", string: "chat.completion")
        completion.add("created", int: object.string("created_at").flatMap(OllamaTimestamp.unixSeconds) ?? now)
        completion.add("model", string: alias)
        completion.add("choices", raw: [UInt8(ascii: "[")] + choice.bytes() + [UInt8(ascii: "]")])
        completion.add("usage", raw: usage.json)
        return OllamaAnswer(body: completion.bytes(), usage: usage)
    }
}
