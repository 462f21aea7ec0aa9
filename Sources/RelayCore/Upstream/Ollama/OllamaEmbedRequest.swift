import RelayWire

/// Translates an OpenAI `/v1/embeddings` body into an Ollama `POST /api/embed` body.
///
/// ```swift
/// let body = try OllamaEmbedRequest.body(for: request, upstreamModel: "all-minilm", defaults: defaults)
/// // {"model":"all-minilm","input":["Why is the sky blue?"],"keep_alive":"5m"}
/// ```
///
/// `input` (a string or a list of strings) is copied as sent; `dimensions` is passed on (Ollama
/// versions that know it shorten the vectors). `encoding_format` is not sent: Ollama always
/// answers floats, and `OllamaEmbedAnswer` encodes base64 itself.
enum OllamaEmbedRequest {
    static func body(
        for request: ClientRequest,
        upstreamModel: String,
        defaults: OllamaBackendDefaults
    ) throws(OllamaTranslationError) -> [UInt8] {
        let object = request.object
        var body = JSONObjectBuilder()
        body.add("model", string: upstreamModel)
        body.add("input", raw: try input(in: object))
        if let dimensions = object.member("dimensions"), object.kind(of: dimensions.valueRange) != .null {
            guard object.kind(of: dimensions.valueRange) == .number else {
                throw OllamaTranslationError("dimensions must be an integer", param: "dimensions")
            }
            body.add("dimensions", raw: object.bytes[dimensions.valueRange])
        }
        if let keepAlive = defaults.keepAlive { body.add("keep_alive", string: keepAlive) }
        if let options = OllamaOptions().json(defaults: defaults.options) { body.add("options", raw: options) }
        return body.bytes()
    }

    private static func input(in object: JSONObject) throws(OllamaTranslationError) -> [UInt8] {
        guard let member = object.member("input") else {
            throw OllamaTranslationError("you must provide an input parameter", param: "input")
        }
        switch object.kind(of: member.valueRange) {
        case .string:
            return Array(object.bytes[member.valueRange])
        case .array:
            let elements = object.array("input") ?? []
            guard !elements.isEmpty else {
                throw OllamaTranslationError("input must not be empty", param: "input")
            }
            guard elements.allSatisfy({ object.kind(of: $0) == .string }) else {
                throw OllamaTranslationError(
                    "input as token arrays is not supported by this model's backend; send text", param: "input")
            }
            return Array(object.bytes[member.valueRange])
        default:
            throw OllamaTranslationError("input must be a string or an array of strings", param: "input")
        }
    }
}
