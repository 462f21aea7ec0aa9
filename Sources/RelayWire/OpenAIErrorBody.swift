/// OpenAI's error body: `{"error": {"message": ..., "type": ..., "param": ..., "code": ...}}`.
package enum OpenAIErrorBody {
    package static func encode(message: String, type: String, param: String?, code: String?) -> [UInt8] {
        var out: [UInt8] = Array("{\"error\":{\"message\":".utf8)
        out += JSONString.encode(message)
        out += Array(",\"type\":".utf8) + JSONString.encode(type)
        out += Array(",\"param\":".utf8) + (param.map(JSONString.encode) ?? Array("null".utf8))
        out += Array(",\"code\":".utf8) + (code.map(JSONString.encode) ?? Array("null".utf8))
        out += Array("}}".utf8)
        return out
    }

    /// An upstream's failure after a stream's first event, as the stream's last event carries it.
    package static func upstreamFailed(_ message: String) -> [UInt8] {
        encode(message: message, type: "api_error", param: nil, code: "upstream_error")
    }
}
