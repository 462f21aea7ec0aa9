import RelayWire

/// Ollama's `options` object for one request: the backend's configured options as defaults,
/// overridden by the sampling fields the client sent.
///
/// Client values are copied byte for byte (a `temperature` of `0.70` stays `0.70`), so no
/// number is re-printed on the way through.
struct OllamaOptions {
    /// OpenAI (and vLLM-extension) top-level sampling fields that Ollama reads, under the same
    /// name, from `options`.
    static let numericSamplingFields = [
        "temperature", "top_p", "top_k", "min_p", "repeat_penalty", "seed", "presence_penalty", "frequency_penalty",
    ]

    private var fromRequest: [(key: String, value: [UInt8])] = []

    /// Only the backend's configured options (embeddings have no sampling fields).
    init() {}

    /// Reads `max_completion_tokens`/`max_tokens` (as `num_predict`), `stop` and the numeric
    /// sampling fields of a client body.
    init(samplingOf request: ClientRequest) throws(OllamaTranslationError) {
        if let maxTokens = request.maxTokens { set("num_predict", to: Array(String(maxTokens).utf8)) }
        let object = request.object
        for key in Self.numericSamplingFields {
            guard let member = object.member(key) else { continue }
            switch object.kind(of: member.valueRange) {
            case .null: continue
            case .number: set(key, to: Array(object.bytes[member.valueRange]))
            default: throw OllamaTranslationError("\(key) must be a number", param: key)
            }
        }
        if let stop = try Self.stopList(in: object) { set("stop", to: stop) }
    }

    private mutating func set(_ key: String, to value: [UInt8]) {
        fromRequest.append((key, value))
    }

    /// `stop` as Ollama wants it, a list of strings: OpenAI also allows a single string.
    private static func stopList(in object: JSONObject) throws(OllamaTranslationError) -> [UInt8]? {
        guard let member = object.member("stop") else { return nil }
        let invalid = OllamaTranslationError("stop must be a string or an array of strings", param: "stop")
        switch object.kind(of: member.valueRange) {
        case .null:
            return nil
        case .string:
            return [UInt8(ascii: "[")] + object.bytes[member.valueRange] + [UInt8(ascii: "]")]
        case .array:
            guard let elements = object.array("stop") else { throw invalid }
            guard !elements.isEmpty else { return nil }
            var list = JSONArrayBuilder()
            for element in elements {
                guard object.kind(of: element) == .string else { throw invalid }
                list.append(raw: object.bytes[element])
            }
            return list.bytes()
        default:
            throw invalid
        }
    }

    /// The merged `options` object, or `nil` when there is nothing to send. Config keys come
    /// first in name order (a dictionary has none of its own, and the body should not change
    /// from run to run), then the client's in a fixed order.
    func json(defaults: [String: JSONValue]) -> [UInt8]? {
        let overridden = Set(fromRequest.map(\.key))
        var object = JSONObjectBuilder()
        for key in defaults.keys.sorted() where !overridden.contains(key) {
            if let value = defaults[key] { object.add(key, raw: value.jsonBytes) }
        }
        for (key, value) in fromRequest { object.add(key, raw: value) }
        return object.isEmpty ? nil : object.bytes()
    }
}
