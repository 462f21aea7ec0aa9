import RelayWire

/// Translates OpenAI chat `messages` into Ollama's.
///
/// - `content` strings are copied byte for byte; content-part arrays become one string (text
///   parts joined with a newline, as vLLM joins them) plus `images`, the base64 payloads of
///   `image_url` data URLs.
/// - Assistant `tool_calls` carry `arguments` as a JSON *string* in OpenAI and as an *object*
///   in Ollama, so the string is decoded and checked to hold an object.
/// - A `tool` message names its tool by `tool_call_id` in OpenAI; Ollama's templates want the
///   function name (`tool_name`), found among the earlier assistant tool calls. The id is sent
///   too, for the Ollama versions that read it.
/// - `developer` (OpenAI's newer name for system) becomes `system`; the legacy `function` role
///   becomes `tool`.
enum OllamaChatMessages {
    package static func translate(in body: JSONObject) throws(OllamaTranslationError) -> [UInt8] {
        guard let member = body.member("messages") else {
            throw OllamaTranslationError("you must provide a messages parameter", param: "messages")
        }
        guard body.kind(of: member.valueRange) == .array, let elements = body.array("messages") else {
            throw OllamaTranslationError("messages must be an array", param: "messages")
        }
        var toolNames: [String: String] = [:]
        var messages = JSONArrayBuilder()
        for (index, range) in elements.enumerated() {
            let path = "messages[\(index)]"
            guard body.kind(of: range) == .object, let message = try? JSONScanner.object(in: body.bytes, range: range)
            else { throw OllamaTranslationError("\(path) must be an object", param: path) }
            messages.append(raw: try translate(message, path: path, toolNames: &toolNames))
        }
        return messages.bytes()
    }

    /// `toolNames` maps the tool-call ids seen so far to their function names.
    private static func translate(
        _ message: JSONObject,
        path: String,
        toolNames: inout [String: String]
    ) throws(OllamaTranslationError) -> [UInt8] {
        guard let role = message.string("role") else {
            throw OllamaTranslationError("\(path).role must be a string", param: "\(path).role")
        }
        let content = try OllamaMessageContent(of: message, path: path)
        var out = JSONObjectBuilder()
        out.add("role", string: ollamaRole(for: role))
        out.add("content", raw: content.text)
        if !content.images.isEmpty {
            var images = JSONArrayBuilder()
            for image in content.images { images.append(raw: image) }
            out.add("images", raw: images.bytes())
        }
        if let calls = message.member("tool_calls"), message.kind(of: calls.valueRange) != .null {
            out.add("tool_calls", raw: try toolCalls(of: message, path: "\(path).tool_calls", toolNames: &toolNames))
        }
        if role == "tool" || role == "function" {
            let id = message.string("tool_call_id")
            if let name = message.string("name") ?? id.flatMap({ toolNames[$0] }) { out.add("tool_name", string: name) }
            if let id { out.add("tool_call_id", string: id) }
        }
        return out.bytes()
    }

    private static func ollamaRole(for role: String) -> String {
        switch role {
        case "developer": "system"
        case "function": "tool"
        default: role
        }
    }

    private static func toolCalls(
        of message: JSONObject,
        path: String,
        toolNames: inout [String: String]
    ) throws(OllamaTranslationError) -> [UInt8] {
        guard let calls = message.array("tool_calls") else {
            throw OllamaTranslationError("\(path) must be an array", param: path)
        }
        var out = JSONArrayBuilder()
        for (index, range) in calls.enumerated() {
            let callPath = "\(path)[\(index)]"
            guard message.kind(of: range) == .object,
                let call = try? JSONScanner.object(in: message.bytes, range: range),
                let function = call.object("function"),
                let name = function.string("name")
            else { throw OllamaTranslationError("\(callPath) must have a function with a name", param: callPath) }
            var ollamaFunction = JSONObjectBuilder()
            ollamaFunction.add("name", string: name)
            ollamaFunction.add("arguments", raw: try arguments(of: function, path: "\(callPath).function.arguments"))
            var ollamaCall = JSONObjectBuilder()
            if let id = call.string("id") {
                ollamaCall.add("id", string: id)
                toolNames[id] = name
            }
            ollamaCall.add("function", raw: ollamaFunction.bytes())
            out.append(raw: ollamaCall.bytes())
        }
        return out.bytes()
    }

    /// The arguments as a JSON object: decoded from OpenAI's string (an empty string is `{}`),
    /// or copied when a client already sent an object.
    private static func arguments(of function: JSONObject, path: String) throws(OllamaTranslationError) -> [UInt8] {
        let invalid = OllamaTranslationError("\(path) must be a JSON object encoded as a string", param: path)
        guard let member = function.member("arguments") else { return Array("{}".utf8) }
        switch function.kind(of: member.valueRange) {
        case .null:
            return Array("{}".utf8)
        case .object:
            return Array(function.bytes[member.valueRange])
        case .string:
            guard let text = function.string("arguments") else { throw invalid }
            let bytes = Array(text.utf8)
            guard bytes.contains(where: { !Self.isWhitespace($0) }) else { return Array("{}".utf8) }
            guard (try? JSONScanner.object(in: bytes)) != nil else { throw invalid }
            return bytes
        default:
            throw invalid
        }
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
            || byte == UInt8(ascii: "\t")
    }
}
