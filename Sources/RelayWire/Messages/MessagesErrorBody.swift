/// Anthropic's error body, `{"type":"error","error":{"type":…,"message":…}}`, which every
/// error on `/v1/messages*` carries (SPEC §8), and the stream's `error` event's data.
package enum MessagesErrorBody {
    package static func bytes(type: String, message: String) -> [UInt8] {
        var error = JSONObjectBuilder()
        error.add("type", string: type)
        error.add("message", string: message)
        var out = JSONObjectBuilder()
        out.add("type", string: "error")
        out.add("error", raw: error.bytes())
        return out.bytes()
    }
}
