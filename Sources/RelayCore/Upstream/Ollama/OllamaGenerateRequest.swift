import RelayWire

/// Translates an OpenAI `/v1/completions` body into an Ollama `POST /api/generate` body.
///
/// ```swift
/// let body = try OllamaGenerateRequest.body(for: request, upstreamModel: "qwen2.5:7b", defaults: defaults)
/// // {"model":"qwen2.5:7b","prompt":"Once upon","raw":true,"stream":false,"options":{"num_predict":16}}
/// ```
///
/// The prompt is sent with `raw: true`: OpenAI's completions API (and vLLM's) continues the
/// text as given, while Ollama would otherwise wrap it in the model's chat template. With a
/// `suffix` (fill-in-the-middle) the template is needed to place the suffix, so `raw` is left out.
enum OllamaGenerateRequest {
    static func body(
        for request: ClientRequest,
        upstreamModel: String,
        defaults: OllamaBackendDefaults
    ) throws(OllamaTranslationError) -> [UInt8] {
        let object = request.object
        var body = JSONObjectBuilder()
        body.add("model", string: upstreamModel)
        body.add("prompt", raw: try prompt(in: object))
        if let suffix = object.member("suffix"), object.kind(of: suffix.valueRange) == .string,
            suffix.valueRange.count > 2
        {
            body.add("suffix", raw: object.bytes[suffix.valueRange])
        } else {
            body.add("raw", bool: true)
        }
        body.add("stream", bool: request.stream)
        if let keepAlive = defaults.keepAlive { body.add("keep_alive", string: keepAlive) }
        if let options = try OllamaOptions(samplingOf: request).json(defaults: defaults.options) {
            body.add("options", raw: options)
        }
        return body.bytes()
    }

    /// The prompt as one JSON string. OpenAI also takes a list of prompts (one completion each)
    /// and token arrays; Ollama takes one text prompt, so a one-element list is unwrapped and the
    /// rest is refused.
    private static func prompt(in object: JSONObject) throws(OllamaTranslationError) -> [UInt8] {
        guard let member = object.member("prompt") else {
            throw OllamaTranslationError("you must provide a prompt parameter", param: "prompt")
        }
        switch object.kind(of: member.valueRange) {
        case .string:
            return Array(object.bytes[member.valueRange])
        case .array:
            let elements = object.array("prompt") ?? []
            guard elements.allSatisfy({ object.kind(of: $0) == .string }) else {
                throw OllamaTranslationError(
                    "prompt as token arrays is not supported by this model's backend; send text", param: "prompt")
            }
            guard elements.count <= 1 else {
                throw OllamaTranslationError(
                    "this model's backend takes one prompt per request; send the prompts in separate requests",
                    param: "prompt"
                )
            }
            return elements.first.map { Array(object.bytes[$0]) } ?? Array("\"\"".utf8)
        default:
            throw OllamaTranslationError("prompt must be a string", param: "prompt")
        }
    }
}
