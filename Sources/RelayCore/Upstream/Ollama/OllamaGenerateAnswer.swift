import RelayWire

/// Translates a non-streamed Ollama `/api/generate` answer into an OpenAI `text_completion`.
///
/// ```swift
/// let answer = try OllamaGenerateAnswer.translate(ollamaBody, alias: "qwen2.5")
/// // {"id":"cmpl-…","object":"text_completion","created":1691176965,"model":"qwen2.5",
/// //  "choices":[{"text":"The sky is blue…","index":0,"logprobs":null,"finish_reason":"stop"}],"usage":{…}}
/// ```
enum OllamaGenerateAnswer {
    package static func translate(
        _ body: [UInt8],
        alias: String,
        id: OpenAIResponseID = .completion(),
        now: Int = OllamaTimestamp.now()
    ) throws(OllamaAnswerError) -> OllamaAnswer {
        let object = try OllamaAnswerError.object(in: body)
        guard let response = object.member("response"), object.kind(of: response.valueRange) == .string else {
            throw OllamaAnswerError("the backend's answer has no response text")
        }
        var choice = JSONObjectBuilder()
        choice.add("text", raw: body[response.valueRange])
        choice.add("index", int: 0)
        choice.addNull("logprobs")
        choice.add(
            "finish_reason",
            string: OllamaFinishReason.openAI(doneReason: object.string("done_reason"), calledTools: false))

        let usage = Usage(ollama: object)
        var completion = JSONObjectBuilder()
        completion.add("id", string: id.id)
        completion.add("object", string: "text_completion")
        completion.add("created", int: object.string("created_at").flatMap(OllamaTimestamp.unixSeconds) ?? now)
        completion.add("model", string: alias)
        completion.add("choices", raw: [UInt8(ascii: "[")] + choice.bytes() + [UInt8(ascii: "]")])
        completion.add("usage", raw: usage.json)
        return OllamaAnswer(body: completion.bytes(), usage: usage)
    }
}
