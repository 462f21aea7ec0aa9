import RelayWire

/// OpenAI's `response_format` as Ollama's `format`: `json_object` is `"json"`, `json_schema`
/// is the schema object itself (copied byte for byte), `text` is no format at all.
enum OllamaResponseFormat {
    static func format(in body: JSONObject) throws(OllamaTranslationError) -> [UInt8]? {
        guard let member = body.member("response_format"), body.kind(of: member.valueRange) != .null else {
            return nil
        }
        guard let format = body.object("response_format"), let type = format.string("type") else {
            throw OllamaTranslationError("response_format must be an object with a type", param: "response_format")
        }
        switch type {
        case "text":
            return nil
        case "json_object":
            return Array("\"json\"".utf8)
        case "json_schema":
            // OpenAI makes `schema` optional; without one the best Ollama can do is JSON mode.
            guard let schema = format.object("json_schema")?.member("schema"),
                format.kind(of: schema.valueRange) == .object
            else { return Array("\"json\"".utf8) }
            return Array(format.bytes[schema.valueRange])
        default:
            throw OllamaTranslationError(
                "response_format.type must be one of \"text\", \"json_object\", \"json_schema\"",
                param: "response_format.type"
            )
        }
    }
}
