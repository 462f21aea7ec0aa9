/// Translates an OpenAI Responses request (`POST /v1/responses`) into a chat completions
/// request, for a backend that serves only chat.
///
/// The request is read with `JSONScanner`, never decoded whole: text, ids, schemas and
/// arguments are copied as the bytes they are. The chat `messages` are, in order: a system
/// message made from `instructions` (Responses does not carry instructions over from an earlier
/// turn, so they are never part of the stored history), the earlier turns' messages as Relay
/// stored them (`ResponsesConversation`), and this turn's `input` (`ResponsesInput`).
///
/// Fields: `max_output_tokens` → `max_tokens`; `temperature`, `top_p`, `user`,
/// `parallel_tool_calls` as they stand; `stream` with `stream_options.include_usage`, which
/// Relay always wants; `tools`, `tool_choice` and `text.format` as `ResponsesTools` maps them;
/// `reasoning.effort` → `reasoning_effort` (a reasoning summary cannot be asked of chat).
/// `model`, `store`, `previous_response_id` and `metadata` are the gateway's and are not sent;
/// `truncation: "disabled"`, `include: []` and `background: false` ask for nothing and are
/// accepted. Anything else (a built-in tool, `include` with entries, `background: true`,
/// `conversation`, `prompt`, an item type chat cannot say) is a 400 naming the field, `param`
/// its path (`input.2.content.0.type`). A member whose value is `null` says nothing and is
/// accepted wherever it stands.
///
/// ```swift
/// let request = try ClientRequest(body: bytes)
/// let chatBody = try ResponsesToChat.body(request, history: stored?.history, upstreamModel: "qwen2.5-7b")
/// ```
package enum ResponsesToChat {
    /// Every top-level field of a Responses request the translation reads.
    static let knownFields = [
        "model", "input", "instructions", "tools", "tool_choice", "max_output_tokens", "temperature", "top_p",
        "parallel_tool_calls", "text", "stream", "user", "store", "previous_response_id", "metadata", "truncation",
        "reasoning", "include", "background",
    ]

    /// The chat request body, `model` set to `upstreamModel`. `history` is the JSON array of chat
    /// messages stored for `previous_response_id` (`ResponsesConversation.history`), nil for none.
    package static func body(
        _ request: ClientRequest,
        history: [UInt8]?,
        upstreamModel: String
    ) throws(ClientRequestError) -> [UInt8] {
        let top = TranslatedRequestObject(request.object, path: "")
        try rejectUnknownFields(of: top, known: knownFields)
        try checkGatewayFields(of: top)

        var chat = JSONObjectBuilder()
        chat.add("model", string: upstreamModel)
        var messages = JSONArrayBuilder()
        if let instructions = try instructionsMessage(of: top) { messages.append(raw: instructions) }
        if let history {
            guard let elements = try? JSONScanner.arrayElements(in: history, range: 0..<history.count) else {
                throw TranslatedRequestObject.error(
                    "previous_response_id", "the stored conversation of this response cannot be read")
            }
            for element in elements { messages.append(raw: history[element]) }
        }
        let before = messages.count
        try ResponsesInput.append(inputOf: top, to: &messages)
        guard messages.count > before else {
            throw TranslatedRequestObject.error("input", "at least one item is required")
        }
        chat.add("messages", raw: messages.bytes())
        if let maxTokens = try maxOutputTokens(of: top) { chat.add("max_tokens", int: maxTokens) }
        if top.value("stream") != nil {
            chat.add("stream", bool: request.stream)
            if request.stream { chat.add("stream_options", raw: "{\"include_usage\":true}".utf8) }
        }
        if let temperature = try top.number("temperature") { chat.add("temperature", raw: top.bytes[temperature]) }
        if let topP = try top.number("top_p") { chat.add("top_p", raw: top.bytes[topP]) }
        if let user = try top.stringLiteral("user") { chat.add("user", raw: top.bytes[user]) }
        if let tools = try ResponsesTools.tools(of: top) { chat.add("tools", raw: tools) }
        if let choice = try ResponsesTools.toolChoice(of: top) { chat.add("tool_choice", raw: choice) }
        if let parallel = try top.bool("parallel_tool_calls") { chat.add("parallel_tool_calls", bool: parallel) }
        if let format = try ResponsesTools.responseFormat(of: top) { chat.add("response_format", raw: format) }
        if let effort = try reasoningEffort(of: top) { chat.add("reasoning_effort", raw: top.bytes[effort]) }
        return chat.bytes()
    }

    /// Fails on the first member whose key is not in `known` and whose value is not `null`:
    /// nothing a client asks for is dropped without a word.
    static func rejectUnknownFields(of object: TranslatedRequestObject, known: [String]) throws(ClientRequestError) {
        for member in object.object.members
        where object.object.kind(of: member.valueRange) != .null
            && !known.contains(where: { object.object.member(member, hasKey: $0) })
        {
            throw TranslatedRequestObject.untranslatable(object.path(of: object.object.key(of: member)), "this field")
        }
    }

    /// The system message `instructions` make; `nil` when there are none (or they are empty).
    static func instructionsMessage(of top: TranslatedRequestObject) throws(ClientRequestError) -> [UInt8]? {
        guard let instructions = try top.stringLiteral("instructions"), instructions.count > 2 else { return nil }
        var message = JSONObjectBuilder()
        message.add("role", string: "system")
        message.add("content", raw: top.bytes[instructions])
        return message.bytes()
    }

    /// The fields the gateway reads itself, checked for their types here so that a request the
    /// translation accepts is one the gateway can read; and the ones that ask for nothing.
    private static func checkGatewayFields(of top: TranslatedRequestObject) throws(ClientRequestError) {
        _ = try top.bool("store")
        _ = try top.stringLiteral("previous_response_id")
        if let metadata = try top.nested("metadata") {
            for member in metadata.object.members where metadata.object.kind(of: member.valueRange) != .string {
                throw TranslatedRequestObject.error(
                    metadata.path(of: metadata.object.key(of: member)), "must be a string")
            }
        }
        if let truncation = try top.string("truncation"), truncation != "disabled" {
            throw TranslatedRequestObject.untranslatable("truncation", "\"\(truncation)\"")
        }
        if let include = try top.elements("include"), !include.isEmpty {
            throw TranslatedRequestObject.untranslatable("include.0", "extra output data")
        }
        if try top.bool("background") == true {
            throw TranslatedRequestObject.untranslatable("background", "a background response")
        }
    }

    /// `max_output_tokens`, a whole number from 1 to `Usage.maxCount`.
    private static func maxOutputTokens(of top: TranslatedRequestObject) throws(ClientRequestError) -> Int? {
        guard let member = top.value("max_output_tokens") else { return nil }
        guard let value = top.object.int(of: member), value >= 1, value <= Usage.maxCount else {
            throw TranslatedRequestObject.error(
                "max_output_tokens", "must be an integer from 1 to \(Usage.maxCount)")
        }
        return value
    }

    /// `reasoning.effort`, as it stands. A summary of the reasoning is something chat cannot be
    /// asked for.
    private static func reasoningEffort(of top: TranslatedRequestObject) throws(ClientRequestError) -> Range<Int>? {
        guard let reasoning = try top.nested("reasoning") else { return nil }
        try rejectUnknownFields(of: reasoning, known: ["effort"])
        return try reasoning.stringLiteral("effort")
    }
}
