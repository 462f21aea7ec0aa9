/// The `response` object Relay writes for a translated Responses request (the answer, each
/// stream event's `response`, what `GET /v1/responses/{id}` returns), with the request's
/// settings echoed as OpenAI echoes them.
///
/// The OpenAI SDKs' `Response` requires `parallel_tool_calls`, `tool_choice`, `tools` and
/// `output`; `instructions`, `max_output_tokens`, `temperature`, `top_p`, `text`, `metadata`,
/// `previous_response_id`, `reasoning`, `store`, `truncation` and `user` are echoed too. Each is
/// the request's value as it stands, or OpenAI's default when the request has none.
struct ResponsesEcho: Sendable {
    /// Key and JSON value of each echoed field, in the order OpenAI writes them.
    private let fields: [(key: String, value: [UInt8])]

    init(_ request: ClientRequest) {
        let object = request.object
        func value(_ key: String, default fallback: String) -> (key: String, value: [UInt8]) {
            guard let member = object.member(key), object.kind(of: member.valueRange) != .null else {
                return (key, Array(fallback.utf8))
            }
            return (key, Array(object.bytes[member.valueRange]))
        }
        var fields = [
            value("instructions", default: "null"),
            value("max_output_tokens", default: "null"),
            value("parallel_tool_calls", default: "true"),
            value("previous_response_id", default: "null"),
            value("reasoning", default: #"{"effort":null,"summary":null}"#),
            value("store", default: "true"),
            value("temperature", default: "null"),
            value("text", default: #"{"format":{"type":"text"}}"#),
            value("tool_choice", default: "\"auto\""),
            value("tools", default: "[]"),
            value("top_p", default: "null"),
            value("truncation", default: "\"disabled\""),
            value("metadata", default: "{}"),
        ]
        if object.member("user") != nil { fields.append(value("user", default: "null")) }
        self.fields = fields
    }

    /// The response object.
    /// - Parameters:
    ///   - status: `in_progress`, `completed`, `incomplete` or `failed`.
    ///   - output: the JSON array of output items.
    ///   - usage: the counts, `null` when unknown (a response in progress, an upstream that
    ///     reported none).
    ///   - incompleteReason: why an `incomplete` response stopped (`max_output_tokens`,
    ///     `content_filter`).
    ///   - errorMessage: a `failed` response's error, said as a `server_error`.
    func response(
        id: String,
        alias: String,
        createdAt: Int,
        status: String,
        output: [UInt8],
        usage: Usage?,
        incompleteReason: String? = nil,
        errorMessage: String? = nil
    ) -> [UInt8] {
        var out = JSONObjectBuilder()
        out.add("id", string: id)
        out.add("object", string: "response")
        out.add("created_at", int: createdAt)
        out.add("status", string: status)
        if let errorMessage {
            var error = JSONObjectBuilder()
            error.add("code", string: "server_error")
            error.add("message", string: errorMessage)
            out.add("error", raw: error.bytes())
        } else {
            out.addNull("error")
        }
        if let incompleteReason {
            var details = JSONObjectBuilder()
            details.add("reason", string: incompleteReason)
            out.add("incomplete_details", raw: details.bytes())
        } else {
            out.addNull("incomplete_details")
        }
        out.add("model", string: alias)
        out.add("output", raw: output)
        for (key, value) in fields { out.add(key, raw: value) }
        if let usage { out.add("usage", raw: Self.usageJSON(usage)) } else { out.addNull("usage") }
        return out.bytes()
    }

    /// Responses' `usage`, its details 0: chat answers rarely break the counts down.
    static func usageJSON(_ usage: Usage) -> [UInt8] {
        var out = JSONObjectBuilder()
        out.add("input_tokens", int: usage.promptTokens)
        out.add("input_tokens_details", raw: #"{"cached_tokens":0,"cache_write_tokens":0}"#.utf8)
        out.add("output_tokens", int: usage.completionTokens)
        out.add("output_tokens_details", raw: #"{"reasoning_tokens":0}"#.utf8)
        out.add("total_tokens", int: usage.totalTokens)
        return out.bytes()
    }
}
