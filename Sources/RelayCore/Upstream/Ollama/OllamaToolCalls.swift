import RelayWire

/// Ollama's `message.tool_calls` in OpenAI's form.
///
/// Ollama: `{"function":{"name":"get_weather","arguments":{"city":"Paris"}}}`, optionally with
/// an `id` (newer versions). OpenAI: `{"id":"call_…","type":"function","function":{"name":
/// "get_weather","arguments":"{\"city\":\"Paris\"}"}}`: the arguments as a JSON *string*.
enum OllamaToolCalls {
    /// The OpenAI tool-call objects, in Ollama's order. `firstIndex` numbers them across a
    /// stream, whose lines may each carry calls; `withIndex` adds the `index` that stream
    /// deltas carry. Elements without a function name are dropped: no client can run them.
    static func openAI(
        _ elements: [Range<Int>],
        in bytes: [UInt8],
        ids: OpenAIResponseID,
        firstIndex: Int,
        withIndex: Bool
    ) -> [[UInt8]] {
        var calls: [[UInt8]] = []
        for range in elements {
            guard let call = try? JSONScanner.object(in: bytes, range: range),
                let function = call.object("function"),
                let name = function.member("name"), function.kind(of: name.valueRange) == .string
            else { continue }
            let index = firstIndex + calls.count
            var openAIFunction = JSONObjectBuilder()
            openAIFunction.add("name", raw: bytes[name.valueRange])
            openAIFunction.add("arguments", raw: argumentsString(of: function))
            var openAICall = JSONObjectBuilder()
            if withIndex { openAICall.add("index", int: index) }
            if let id = call.string("id"), !id.isEmpty {
                openAICall.add("id", string: id)
            } else {
                openAICall.add("id", string: ids.toolCallID(index))
            }
            openAICall.add("type", string: "function")
            openAICall.add("function", raw: openAIFunction.bytes())
            calls.append(openAICall.bytes())
        }
        return calls
    }

    /// The arguments object as a JSON string literal holding its compact JSON, as OpenAI sends it.
    private static func argumentsString(of function: JSONObject) -> [UInt8] {
        guard let member = function.member("arguments") else { return JSONString.encode("{}") }
        switch function.kind(of: member.valueRange) {
        case .null: return JSONString.encode("{}")
        // Already a string (OpenAI-style servers behind an Ollama-like API): keep it.
        case .string: return Array(function.bytes[member.valueRange])
        default:
            let compact = JSONCompaction.compact(function.bytes[member.valueRange])
            return JSONString.encode(String(decoding: compact, as: UTF8.self))
        }
    }
}
