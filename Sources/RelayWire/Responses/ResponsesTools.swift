/// Translates a Responses request's `tools`, `tool_choice` and `text.format` into chat's.
///
/// A function tool `{"type": "function", "name", "description", "parameters", "strict"}`
/// becomes a chat function tool, its schema copied byte for byte; the built-in tools
/// (`web_search`, `file_search`, `code_interpreter`, ...) run on OpenAI's side and are a 400.
/// `tool_choice` `"auto"`, `"none"` and `"required"` are chat's too; `{"type": "function",
/// "name"}` names the function as chat does. `text.format` `json_schema` becomes chat's
/// `response_format` of that schema, `json_object` chat's `json_object`, `text` nothing.
enum ResponsesTools {
    /// The chat `tools` array; `nil` for none (an empty list is left out: some backends refuse one).
    static func tools(of top: TranslatedRequestObject) throws(ClientRequestError) -> [UInt8]? {
        guard let elements = try top.elements("tools"), !elements.isEmpty else { return nil }
        var tools = JSONArrayBuilder()
        for (position, range) in elements.enumerated() {
            let tool = try TranslatedRequestObject(at: range, in: top.bytes, path: "tools.\(position)")
            let type = try tool.type()
            guard type == "function" else {
                throw TranslatedRequestObject.untranslatable(tool.path(of: "type"), "the built-in tool \"\(type)\"")
            }
            try ResponsesToChat.rejectUnknownFields(
                of: tool, known: ["type", "name", "description", "parameters", "strict"])
            var function = JSONObjectBuilder()
            function.add("name", raw: tool.bytes[try tool.requiredStringLiteral("name")])
            if let description = try tool.stringLiteral("description") {
                function.add("description", raw: tool.bytes[description])
            }
            if let parameters = tool.value("parameters") {
                guard tool.object.kind(of: parameters.valueRange) == .object else {
                    throw TranslatedRequestObject.error(tool.path(of: "parameters"), "must be an object")
                }
                function.add("parameters", raw: tool.bytes[parameters.valueRange])
            }
            if let strict = try tool.bool("strict") { function.add("strict", bool: strict) }
            var out = JSONObjectBuilder()
            out.add("type", string: "function")
            out.add("function", raw: function.bytes())
            tools.append(raw: out.bytes())
        }
        return tools.bytes()
    }

    /// Chat's `tool_choice`; `nil` when the request has none.
    static func toolChoice(of top: TranslatedRequestObject) throws(ClientRequestError) -> [UInt8]? {
        guard let member = top.value("tool_choice") else { return nil }
        switch top.object.kind(of: member.valueRange) {
        case .string:
            let choice = try top.string("tool_choice")!
            guard ["auto", "none", "required"].contains(choice) else {
                throw TranslatedRequestObject.error(
                    "tool_choice", "\"\(choice)\" is not one of \"auto\", \"none\", \"required\"")
            }
            return Array(top.bytes[member.valueRange])
        case .object:
            let choice = try top.nested("tool_choice")!
            let type = try choice.type()
            guard type == "function" else {
                throw TranslatedRequestObject.untranslatable(choice.path(of: "type"), "a tool choice of \"\(type)\"")
            }
            try ResponsesToChat.rejectUnknownFields(of: choice, known: ["type", "name"])
            var function = JSONObjectBuilder()
            function.add("name", raw: choice.bytes[try choice.requiredStringLiteral("name")])
            var named = JSONObjectBuilder()
            named.add("type", string: "function")
            named.add("function", raw: function.bytes())
            return named.bytes()
        default:
            throw TranslatedRequestObject.error("tool_choice", "must be a string or an object")
        }
    }

    /// Chat's `response_format` for `text.format`; `nil` for plain text.
    static func responseFormat(of top: TranslatedRequestObject) throws(ClientRequestError) -> [UInt8]? {
        guard let text = try top.nested("text") else { return nil }
        try ResponsesToChat.rejectUnknownFields(of: text, known: ["format"])
        guard let format = try text.nested("format") else { return nil }
        switch try format.type() {
        case "text":
            try ResponsesToChat.rejectUnknownFields(of: format, known: ["type"])
            return nil
        case "json_object":
            try ResponsesToChat.rejectUnknownFields(of: format, known: ["type"])
            return Array(#"{"type":"json_object"}"#.utf8)
        case "json_schema":
            try ResponsesToChat.rejectUnknownFields(
                of: format, known: ["type", "name", "description", "schema", "strict"])
            var schema = JSONObjectBuilder()
            schema.add("name", raw: format.bytes[try format.requiredStringLiteral("name")])
            if let description = try format.stringLiteral("description") {
                schema.add("description", raw: format.bytes[description])
            }
            let body = try format.required("schema")
            guard format.object.kind(of: body.valueRange) == .object else {
                throw TranslatedRequestObject.error(format.path(of: "schema"), "must be an object")
            }
            schema.add("schema", raw: format.bytes[body.valueRange])
            if let strict = try format.bool("strict") { schema.add("strict", bool: strict) }
            var out = JSONObjectBuilder()
            out.add("type", string: "json_schema")
            out.add("json_schema", raw: schema.bytes())
            return out.bytes()
        case let type:
            throw TranslatedRequestObject.error(
                format.path(of: "type"), "\"\(type)\" is not one of \"text\", \"json_object\", \"json_schema\"")
        }
    }
}
