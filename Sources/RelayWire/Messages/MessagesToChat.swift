/// Translates an Anthropic Messages request (`POST /v1/messages`) into an OpenAI chat
/// completions request, for a backend that serves only chat.
///
/// The request is read with `JSONScanner`, never decoded whole: text, ids, schemas and tool
/// inputs are copied as the bytes they are. What Messages can say and chat cannot (a document
/// block, extended thinking, a server tool, any field the translation does not know) is a 400
/// naming the field, `param` its path (`messages.2.content.0.type`): nothing is dropped without
/// a word. Only `cache_control` (a prompt-caching hint) and empty `citations` are accepted and
/// left out, as they change nothing in the answer.
///
/// ```swift
/// let request = try ClientRequest(body: bytes)
/// let chatBody = try MessagesToChat.body(request, upstreamModel: "Qwen/Qwen2.5-7B-Instruct")
/// ```
package enum MessagesToChat {
    /// Every top-level field of a Messages request the translation reads.
    static let knownFields = [
        "model", "messages", "max_tokens", "system", "metadata", "stop_sequences", "stream", "temperature", "top_p",
        "top_k", "tools", "tool_choice", "thinking",
    ]

    /// The chat request body: `model` is `upstreamModel`; a stream asks for the usage chunk
    /// (`stream_options.include_usage`), which Relay always wants.
    package static func body(_ request: ClientRequest, upstreamModel: String) throws(ClientRequestError) -> [UInt8] {
        let top = TranslatedRequestObject(request.object, path: "")
        try top.rejectUnknownFields(knownFields)
        // `ClientRequest` has read `max_tokens` (a whole number, at most `Usage.maxCount`);
        // `max_completion_tokens` was refused above as a field Messages does not have.
        guard let maxTokens = request.maxTokens else {
            throw TranslatedRequestObject.error("max_tokens", "field required")
        }
        guard maxTokens >= 1 else { throw TranslatedRequestObject.error("max_tokens", "must be at least 1") }
        try checkThinking(of: top)

        var chat = JSONObjectBuilder()
        chat.add("model", string: upstreamModel)
        var messages = JSONArrayBuilder()
        if let system = try system(of: top) { messages.append(raw: system) }
        guard let elements = try top.elements("messages") else {
            throw TranslatedRequestObject.error("messages", "field required")
        }
        guard !elements.isEmpty else {
            throw TranslatedRequestObject.error("messages", "at least one message is required")
        }
        try MessagesConversation.append(elements, of: top, to: &messages)
        chat.add("messages", raw: messages.bytes())
        chat.add("max_tokens", int: maxTokens)
        if top.value("stream") != nil {
            chat.add("stream", bool: request.stream)
            if request.stream { chat.add("stream_options", raw: "{\"include_usage\":true}".utf8) }
        }
        if let stop = try stopSequences(of: top) { chat.add("stop", raw: top.bytes[stop]) }
        if let temperature = try top.number("temperature") { chat.add("temperature", raw: top.bytes[temperature]) }
        if let topP = try top.number("top_p") { chat.add("top_p", raw: top.bytes[topP]) }
        if let topK = try top.integer("top_k") { chat.add("top_k", raw: top.bytes[topK]) }
        if let user = try user(of: top) { chat.add("user", raw: top.bytes[user]) }
        if let tools = try MessagesTools.tools(of: top) { chat.add("tools", raw: tools) }
        if let choice = try MessagesTools.choice(of: top) {
            chat.add("tool_choice", raw: choice.toolChoice)
            if let parallel = choice.parallelToolCalls { chat.add("parallel_tool_calls", bool: parallel) }
        }
        return chat.bytes()
    }

    /// `system`, a string or text blocks, as the first chat message; `nil` when it says nothing.
    private static func system(of top: TranslatedRequestObject) throws(ClientRequestError) -> [UInt8]? {
        guard let member = top.value("system") else { return nil }
        var content = ChatContentParts()
        switch top.object.kind(of: member.valueRange) {
        case .string:
            guard member.valueRange.count > 2 else { return nil }
            content.appendText(top.bytes[member.valueRange])
        case .array:
            for (position, range) in (try top.elements("system") ?? []).enumerated() {
                let block = try TranslatedRequestObject(at: range, in: top.bytes, path: "system.\(position)")
                let type = try block.type()
                guard type == "text" else {
                    throw TranslatedRequestObject.untranslatable(block.path(of: "type"), "\"\(type)\" system blocks")
                }
                content.appendText(block.bytes[try block.textOfTextBlock()])
            }
            guard !content.isEmpty else { return nil }
        default:
            throw TranslatedRequestObject.error("system", "must be a string or an array of text blocks")
        }
        var message = JSONObjectBuilder()
        message.add("role", string: "system")
        message.add("content", raw: content.json)
        return message.bytes()
    }

    /// Extended thinking has no chat counterpart; only `{"type": "disabled"}` can be honoured.
    private static func checkThinking(of top: TranslatedRequestObject) throws(ClientRequestError) {
        guard let thinking = try top.nested("thinking") else { return }
        let type = try thinking.type()
        guard type == "disabled" else {
            throw TranslatedRequestObject.untranslatable("thinking", "extended thinking (\"\(type)\")")
        }
        try thinking.rejectUnknownFields(["type"])
    }

    /// `stop_sequences`, an array of strings, as it stands; `nil` when absent or empty.
    private static func stopSequences(of top: TranslatedRequestObject) throws(ClientRequestError) -> Range<Int>? {
        guard let sequences = try top.elements("stop_sequences") else { return nil }
        for (position, range) in sequences.enumerated() where top.object.kind(of: range) != .string {
            throw TranslatedRequestObject.error("stop_sequences.\(position)", "must be a string")
        }
        return sequences.isEmpty ? nil : top.value("stop_sequences")!.valueRange
    }

    /// `metadata.user_id`, the end user's id, as chat's `user`.
    private static func user(of top: TranslatedRequestObject) throws(ClientRequestError) -> Range<Int>? {
        guard let metadata = try top.nested("metadata") else { return nil }
        try metadata.rejectUnknownFields(["user_id"])
        return try metadata.stringLiteral("user_id")
    }
}
