import RelayWire

/// Translates an OpenAI `/v1/chat/completions` body into an Ollama `POST /api/chat` body.
///
/// ```swift
/// let request = try ClientRequest(body: bytes)
/// let body = try OllamaChatRequest.body(
///     for: request, upstreamModel: "qwen2.5:7b", defaults: OllamaBackendDefaults(backend))
/// // {"model":"qwen2.5:7b","messages":[...],"stream":false,"keep_alive":"5m","options":{"num_ctx":8192,...}}
/// ```
///
/// Members are written in this order: `model`, `messages`, `stream`, `format`, `tools`,
/// `keep_alive`, `options`. `stream` is always written, because Ollama streams when it is absent.
/// OpenAI fields Ollama has no place for (`n`, `logprobs`, `user`, `tool_choice` other than
/// `"none"`, ...) are left out rather than refused, as OpenAI-compatible servers commonly do.
enum OllamaChatRequest {
    static func body(
        for request: ClientRequest,
        upstreamModel: String,
        defaults: OllamaBackendDefaults
    ) throws(OllamaTranslationError) -> [UInt8] {
        let object = request.object
        var body = JSONObjectBuilder()
        body.add("model", string: upstreamModel)
        body.add("messages", raw: try OllamaChatMessages.translate(in: object))
        body.add("stream", bool: request.stream)
        if let format = try OllamaResponseFormat.format(in: object) { body.add("format", raw: format) }
        if let tools = try tools(in: object) { body.add("tools", raw: tools) }
        if let keepAlive = defaults.keepAlive { body.add("keep_alive", string: keepAlive) }
        if let options = try OllamaOptions(samplingOf: request).json(defaults: defaults.options) {
            body.add("options", raw: options)
        }
        return body.bytes()
    }

    /// `tools`, copied: Ollama takes OpenAI's tool shape (`{"type":"function","function":{...}}`).
    /// Ollama has no `tool_choice`; `"none"` is honoured by not offering the tools at all.
    private static func tools(in object: JSONObject) throws(OllamaTranslationError) -> [UInt8]? {
        guard let member = object.member("tools"), object.kind(of: member.valueRange) != .null else { return nil }
        guard let tools = object.array("tools") else {
            throw OllamaTranslationError("tools must be an array", param: "tools")
        }
        guard !tools.isEmpty, object.string("tool_choice") != "none" else { return nil }
        return Array(object.bytes[member.valueRange])
    }
}
