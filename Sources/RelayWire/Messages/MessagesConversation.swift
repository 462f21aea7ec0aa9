/// Translates a Messages request's `messages` into chat `messages`.
///
/// - `content` strings are copied byte for byte; block arrays become OpenAI content parts
///   (`ChatContentParts`): `text` as text parts, `image` as `image_url` parts (a base64 source
///   as a `data:` URL, a `url` source as that URL).
/// - An assistant's `tool_use` blocks become its `tool_calls`, `input` as the JSON string
///   OpenAI carries `arguments` in; an assistant turn of tool calls alone has `content: null`.
/// - A user's `tool_result` blocks become one `tool` message each, before the rest of that turn
///   (Anthropic puts them first too); `is_error` has no counterpart in chat and is left out.
/// - Every other block type (`document`, `thinking`, server tools' blocks, ...) and every field
///   chat has no room for is a 400 naming it.
enum MessagesConversation {
    static func append(
        _ elements: [Range<Int>],
        of request: TranslatedRequestObject,
        to chat: inout JSONArrayBuilder
    ) throws(ClientRequestError) {
        for (position, range) in elements.enumerated() {
            let message = try TranslatedRequestObject(at: range, in: request.bytes, path: "messages.\(position)")
            try message.rejectUnknownFields(["role", "content"])
            let role = try message.requiredString("role")
            let content = try message.required("content")
            switch (role, message.object.kind(of: content.valueRange)) {
            case (_, .string) where role == "user" || role == "assistant":
                var out = JSONObjectBuilder()
                out.add("role", string: role)
                out.add("content", raw: message.bytes[content.valueRange])
                chat.append(raw: out.bytes())
            case ("user", .array):
                try appendUserTurn(message, to: &chat)
            case ("assistant", .array):
                chat.append(raw: try assistantTurn(message))
            case ("user", _), ("assistant", _):
                throw TranslatedRequestObject.error(
                    message.path(of: "content"), "must be a string or an array of content blocks")
            default:
                throw TranslatedRequestObject.error(message.path(of: "role"), "must be \"user\" or \"assistant\"")
            }
        }
    }

    private static func blocks(of message: TranslatedRequestObject) throws(ClientRequestError)
        -> [TranslatedRequestObject]
    {
        let contentPath = message.path(of: "content")
        var blocks: [TranslatedRequestObject] = []
        for (position, range) in (try message.elements("content") ?? []).enumerated() {
            blocks.append(try TranslatedRequestObject(at: range, in: message.bytes, path: "\(contentPath).\(position)"))
        }
        return blocks
    }

    private static func appendUserTurn(
        _ message: TranslatedRequestObject,
        to chat: inout JSONArrayBuilder
    ) throws(ClientRequestError) {
        var content = ChatContentParts()
        var toolResults = 0
        for block in try blocks(of: message) {
            switch try block.type() {
            case "text":
                content.appendText(block.bytes[try block.textOfTextBlock()])
            case "image":
                content.appendImage(url: try imageURL(of: block))
            case "tool_result":
                chat.append(raw: try toolMessage(of: block))
                toolResults += 1
            case let type:
                throw TranslatedRequestObject.untranslatable(block.path(of: "type"), "\"\(type)\" blocks")
            }
        }
        // A turn of tool results alone says all it has in the tool messages.
        guard !content.isEmpty || toolResults == 0 else { return }
        var out = JSONObjectBuilder()
        out.add("role", string: "user")
        out.add("content", raw: content.json)
        chat.append(raw: out.bytes())
    }

    private static func assistantTurn(_ message: TranslatedRequestObject) throws(ClientRequestError) -> [UInt8] {
        var content = ChatContentParts()
        var calls = JSONArrayBuilder()
        for block in try blocks(of: message) {
            switch try block.type() {
            case "text":
                content.appendText(block.bytes[try block.textOfTextBlock()])
            case "tool_use":
                calls.append(raw: try toolCall(of: block))
            case let type:
                throw TranslatedRequestObject.untranslatable(block.path(of: "type"), "\"\(type)\" blocks")
            }
        }
        var out = JSONObjectBuilder()
        out.add("role", string: "assistant")
        if content.isEmpty, calls.count > 0 {
            out.addNull("content")
        } else {
            out.add("content", raw: content.json)
        }
        if calls.count > 0 { out.add("tool_calls", raw: calls.bytes()) }
        return out.bytes()
    }

    /// An `image` block's source as the URL of an `image_url` part, a JSON string literal. A
    /// base64 source's text is spliced into a `data:` URL as it stands between its quotes, so
    /// nothing is decoded.
    private static func imageURL(of block: TranslatedRequestObject) throws(ClientRequestError) -> [UInt8] {
        try block.rejectUnknownFields(["type", "source", "cache_control"])
        _ = try block.required("source")
        let source = try block.nested("source")!
        switch try source.type() {
        case "base64":
            try source.rejectUnknownFields(["type", "media_type", "data"])
            let mediaType = try source.requiredStringLiteral("media_type")
            let data = try source.requiredStringLiteral("data")
            var url: [UInt8] = Array("\"data:".utf8)
            url.reserveCapacity(mediaType.count + data.count + 16)
            url += source.bytes[(mediaType.lowerBound + 1)..<(mediaType.upperBound - 1)]
            url += Array(";base64,".utf8)
            url += source.bytes[(data.lowerBound + 1)..<(data.upperBound - 1)]
            url.append(UInt8(ascii: "\""))
            return url
        case "url":
            try source.rejectUnknownFields(["type", "url"])
            return Array(source.bytes[try source.requiredStringLiteral("url")])
        case let type:
            throw TranslatedRequestObject.untranslatable(source.path(of: "type"), "\"\(type)\" image sources")
        }
    }

    /// A `tool_use` block as a chat tool call: `input`, an object, as the JSON string
    /// `arguments` is, written compact.
    private static func toolCall(of block: TranslatedRequestObject) throws(ClientRequestError) -> [UInt8] {
        try block.rejectUnknownFields(["type", "id", "name", "input", "cache_control"])
        let id = try block.requiredStringLiteral("id")
        let name = try block.requiredStringLiteral("name")
        let input = try block.required("input")
        guard block.object.kind(of: input.valueRange) == .object else {
            throw TranslatedRequestObject.error(block.path(of: "input"), "must be an object")
        }
        var function = JSONObjectBuilder()
        function.add("name", raw: block.bytes[name])
        let arguments = JSONCompaction.compact(block.bytes[input.valueRange])
        function.add("arguments", raw: JSONString.encode(String(decoding: arguments, as: UTF8.self)))
        var call = JSONObjectBuilder()
        call.add("id", raw: block.bytes[id])
        call.add("type", string: "function")
        call.add("function", raw: function.bytes())
        return call.bytes()
    }

    /// A `tool_result` block as a `tool` message. Its content is text: chat's tool messages
    /// carry no images.
    private static func toolMessage(of block: TranslatedRequestObject) throws(ClientRequestError) -> [UInt8] {
        try block.rejectUnknownFields(["type", "tool_use_id", "content", "is_error", "cache_control"])
        let id = try block.requiredStringLiteral("tool_use_id")
        _ = try block.bool("is_error")
        var content = ChatContentParts()
        if let member = block.value("content") {
            switch block.object.kind(of: member.valueRange) {
            case .string:
                content.appendText(block.bytes[member.valueRange])
            case .array:
                for (position, range) in (try block.elements("content") ?? []).enumerated() {
                    let part = try TranslatedRequestObject(
                        at: range, in: block.bytes, path: "\(block.path(of: "content")).\(position)")
                    let type = try part.type()
                    guard type == "text" else {
                        throw TranslatedRequestObject.untranslatable(
                            part.path(of: "type"), "\"\(type)\" blocks in a tool result")
                    }
                    content.appendText(part.bytes[try part.textOfTextBlock()])
                }
            default:
                throw TranslatedRequestObject.error(
                    block.path(of: "content"), "must be a string or an array of content blocks")
            }
        }
        var out = JSONObjectBuilder()
        out.add("role", string: "tool")
        out.add("tool_call_id", raw: block.bytes[id])
        out.add("content", raw: content.json)
        return out.bytes()
    }
}
