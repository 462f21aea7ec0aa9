/// Translates a Messages request's `tools` and `tool_choice` into chat's.
///
/// A custom tool `{"name", "description", "input_schema"}` becomes a function tool, its
/// schema copied byte for byte as `parameters`; Anthropic's server tools (`web_search_…`,
/// `bash_…`, ...) run on Anthropic's side and are a 400. `tool_choice` maps `auto` → `"auto"`,
/// `any` → `"required"`, `tool` → the named function, `none` → `"none"`, and
/// `disable_parallel_tool_use: true` → `parallel_tool_calls: false`.
enum MessagesTools {
    /// The chat `tools` array; `nil` for none (an empty list is left out: some backends refuse one).
    static func tools(of request: TranslatedRequestObject) throws(ClientRequestError) -> [UInt8]? {
        guard let elements = try request.elements("tools"), !elements.isEmpty else { return nil }
        var tools = JSONArrayBuilder()
        for (position, range) in elements.enumerated() {
            let tool = try TranslatedRequestObject(at: range, in: request.bytes, path: "tools.\(position)")
            try tool.rejectUnknownFields(["type", "name", "description", "input_schema", "cache_control"])
            if let type = try tool.string("type"), type != "custom" {
                throw TranslatedRequestObject.untranslatable(tool.path(of: "type"), "the server tool \"\(type)\"")
            }
            let name = try tool.requiredStringLiteral("name")
            let description = try tool.stringLiteral("description")
            let schema = try tool.required("input_schema")
            guard tool.object.kind(of: schema.valueRange) == .object else {
                throw TranslatedRequestObject.error(tool.path(of: "input_schema"), "must be an object")
            }
            var function = JSONObjectBuilder()
            function.add("name", raw: tool.bytes[name])
            if let description { function.add("description", raw: tool.bytes[description]) }
            function.add("parameters", raw: tool.bytes[schema.valueRange])
            var out = JSONObjectBuilder()
            out.add("type", string: "function")
            out.add("function", raw: function.bytes())
            tools.append(raw: out.bytes())
        }
        return tools.bytes()
    }

    /// Chat's `tool_choice`, and `parallel_tool_calls` when the client turned parallel calls off.
    static func choice(
        of request: TranslatedRequestObject
    ) throws(ClientRequestError) -> (toolChoice: [UInt8], parallelToolCalls: Bool?)? {
        guard let choice = try request.nested("tool_choice") else { return nil }
        let toolChoice: [UInt8]
        switch try choice.type() {
        case "auto":
            try choice.rejectUnknownFields(["type", "disable_parallel_tool_use"])
            toolChoice = JSONString.encode("auto")
        case "any":
            try choice.rejectUnknownFields(["type", "disable_parallel_tool_use"])
            toolChoice = JSONString.encode("required")
        case "tool":
            try choice.rejectUnknownFields(["type", "name", "disable_parallel_tool_use"])
            var function = JSONObjectBuilder()
            function.add("name", raw: choice.bytes[try choice.requiredStringLiteral("name")])
            var named = JSONObjectBuilder()
            named.add("type", string: "function")
            named.add("function", raw: function.bytes())
            toolChoice = named.bytes()
        case "none":
            try choice.rejectUnknownFields(["type"])
            toolChoice = JSONString.encode("none")
        case let type:
            throw TranslatedRequestObject.error(
                choice.path(of: "type"), "\"\(type)\" is not one of \"auto\", \"any\", \"tool\", \"none\"")
        }
        let parallel: Bool? = try choice.bool("disable_parallel_tool_use") == true ? false : nil
        return (toolChoice, parallel)
    }
}
