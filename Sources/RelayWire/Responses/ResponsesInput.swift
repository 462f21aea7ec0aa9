/// Translates a Responses request's `input` (and a response's `output` items, which a client
/// may send back as input and which Relay stores as the next turn's history) into chat
/// `messages`.
///
/// - A string is one user message, copied byte for byte.
/// - A `message` item (also written without `type`, as `{"role", "content"}`) becomes a message
///   of its role, `developer` as `system`, which every chat backend and template reads. Its
///   content, a string or parts: `input_text` and `output_text` as text, `input_image` (a URL or
///   a `data:` URL, with its `detail`) as an `image_url` part, on user messages only; an
///   assistant's `refusal` part as its text.
/// - `function_call` items become an assistant message's `tool_calls`: consecutive calls, and
///   the assistant message just before them, make one assistant message, as the chat turn that
///   produced them was.
/// - A `function_call_output` item becomes a `tool` message.
/// - An item's `id` and `status` (which a client sends back with the output it got) are left
///   out; every other item type (`reasoning`, `item_reference`, built-in tools' calls, ...) and
///   every field chat has no room for is a 400 naming it.
enum ResponsesInput {
    /// The request's `input`, appended to `chat`.
    static func append(inputOf top: TranslatedRequestObject, to chat: inout JSONArrayBuilder) throws(ClientRequestError)
    {
        let input = try top.required("input")
        switch top.object.kind(of: input.valueRange) {
        case .string:
            var message = JSONObjectBuilder()
            message.add("role", string: "user")
            message.add("content", raw: top.bytes[input.valueRange])
            chat.append(raw: message.bytes())
        case .array:
            try append(items: try top.elements("input") ?? [], in: top.bytes, path: "input", to: &chat)
        default:
            throw TranslatedRequestObject.error("input", "must be a string or an array of input items")
        }
    }

    /// The items at `elements` of `bytes` (an array whose path is `path`), appended to `chat`.
    static func append(
        items elements: [Range<Int>],
        in bytes: [UInt8],
        path: String,
        to chat: inout JSONArrayBuilder
    ) throws(ClientRequestError) {
        var assistant = AssistantTurn()
        for (position, range) in elements.enumerated() {
            let item = try TranslatedRequestObject(at: range, in: bytes, path: "\(path).\(position)")
            let type = try item.string("type") ?? (item.value("role") != nil ? "message" : nil)
            switch type {
            case "message"?:
                try appendMessage(item, assistant: &assistant, to: &chat)
            case "function_call"?:
                try ResponsesToChat.rejectUnknownFields(
                    of: item, known: ["type", "id", "call_id", "name", "arguments", "status"])
                var function = JSONObjectBuilder()
                function.add("name", raw: item.bytes[try item.requiredStringLiteral("name")])
                function.add("arguments", raw: item.bytes[try item.requiredStringLiteral("arguments")])
                var call = JSONObjectBuilder()
                call.add("id", raw: item.bytes[try item.requiredStringLiteral("call_id")])
                call.add("type", string: "function")
                call.add("function", raw: function.bytes())
                assistant.calls.append(raw: call.bytes())
            case "function_call_output"?:
                assistant.flush(to: &chat)
                chat.append(raw: try toolMessage(item))
            case let type?:
                throw TranslatedRequestObject.untranslatable(item.path(of: "type"), "\"\(type)\" items")
            case nil:
                throw TranslatedRequestObject.error(item.path(of: "type"), "field required")
            }
        }
        assistant.flush(to: &chat)
    }

    /// The assistant message being gathered: its text, and the calls that follow it.
    private struct AssistantTurn {
        var content = ChatContentParts()
        var calls = JSONArrayBuilder()

        mutating func flush(to chat: inout JSONArrayBuilder) {
            defer { self = AssistantTurn() }
            guard !content.isEmpty || calls.count > 0 else { return }
            var out = JSONObjectBuilder()
            out.add("role", string: "assistant")
            if content.isEmpty {
                out.addNull("content")
            } else {
                out.add("content", raw: content.json)
            }
            if calls.count > 0 { out.add("tool_calls", raw: calls.bytes()) }
            chat.append(raw: out.bytes())
        }
    }

    private static func appendMessage(
        _ item: TranslatedRequestObject,
        assistant: inout AssistantTurn,
        to chat: inout JSONArrayBuilder
    ) throws(ClientRequestError) {
        try ResponsesToChat.rejectUnknownFields(of: item, known: ["type", "role", "content", "id", "status"])
        let role = try item.requiredString("role")
        guard ["user", "assistant", "system", "developer"].contains(role) else {
            throw TranslatedRequestObject.error(
                item.path(of: "role"), "must be one of \"user\", \"assistant\", \"system\", \"developer\"")
        }
        // Each message item starts a turn of its own; only calls join the assistant text before them.
        assistant.flush(to: &chat)
        let content = try item.required("content")
        var parts = ChatContentParts()
        switch item.object.kind(of: content.valueRange) {
        case .string:
            parts.appendText(item.bytes[content.valueRange])
        case .array:
            for (position, range) in (try item.elements("content") ?? []).enumerated() {
                let part = try TranslatedRequestObject(
                    at: range, in: item.bytes, path: "\(item.path(of: "content")).\(position)")
                try appendPart(part, role: role, to: &parts)
            }
        default:
            throw TranslatedRequestObject.error(
                item.path(of: "content"), "must be a string or an array of content parts")
        }
        if role == "assistant" {
            assistant.content = parts
            return
        }
        var out = JSONObjectBuilder()
        out.add("role", string: role == "developer" ? "system" : role)
        out.add("content", raw: parts.json)
        chat.append(raw: out.bytes())
    }

    private static func appendPart(
        _ part: TranslatedRequestObject,
        role: String,
        to parts: inout ChatContentParts
    ) throws(ClientRequestError) {
        switch try part.type() {
        case "input_text", "output_text":
            try ResponsesToChat.rejectUnknownFields(of: part, known: ["type", "text", "annotations", "logprobs"])
            // Citations a model wrote say nothing the text does not; only an empty list is left out.
            if let annotations = try part.elements("annotations"), !annotations.isEmpty {
                throw TranslatedRequestObject.untranslatable(part.path(of: "annotations"), "annotations")
            }
            parts.appendText(part.bytes[try part.requiredStringLiteral("text")])
        case "refusal" where role == "assistant":
            try ResponsesToChat.rejectUnknownFields(of: part, known: ["type", "refusal"])
            parts.appendText(part.bytes[try part.requiredStringLiteral("refusal")])
        case "input_image" where role == "user":
            try ResponsesToChat.rejectUnknownFields(of: part, known: ["type", "image_url", "detail"])
            let url = try part.requiredStringLiteral("image_url")
            let detail = try part.stringLiteral("detail")
            parts.appendImage(url: part.bytes[url], detail: detail.map { part.bytes[$0] })
        case let type:
            throw TranslatedRequestObject.untranslatable(
                part.path(of: "type"), "\"\(type)\" parts in a \(role) message")
        }
    }

    /// A `function_call_output` item as a `tool` message. Its output is text: chat's tool
    /// messages carry no images.
    private static func toolMessage(_ item: TranslatedRequestObject) throws(ClientRequestError) -> [UInt8] {
        try ResponsesToChat.rejectUnknownFields(of: item, known: ["type", "id", "call_id", "output", "status"])
        let callID = try item.requiredStringLiteral("call_id")
        let output = try item.required("output")
        var content = ChatContentParts()
        switch item.object.kind(of: output.valueRange) {
        case .string:
            content.appendText(item.bytes[output.valueRange])
        case .array:
            for (position, range) in (try item.elements("output") ?? []).enumerated() {
                let part = try TranslatedRequestObject(
                    at: range, in: item.bytes, path: "\(item.path(of: "output")).\(position)")
                let type = try part.type()
                guard type == "input_text" else {
                    throw TranslatedRequestObject.untranslatable(
                        part.path(of: "type"), "\"\(type)\" parts in a function call's output")
                }
                try ResponsesToChat.rejectUnknownFields(of: part, known: ["type", "text"])
                content.appendText(part.bytes[try part.requiredStringLiteral("text")])
            }
        default:
            throw TranslatedRequestObject.error(
                item.path(of: "output"), "must be a string or an array of content parts")
        }
        var out = JSONObjectBuilder()
        out.add("role", string: "tool")
        out.add("tool_call_id", raw: item.bytes[callID])
        out.add("content", raw: content.json)
        return out.bytes()
    }
}
