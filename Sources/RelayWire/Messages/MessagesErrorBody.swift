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

    /// Anthropic's error type for an HTTP status, as Anthropic answers with it. 503 is the
    /// gateway's "every target busy or open-circuit", which Anthropic says as `overloaded_error`
    /// (its own 529); 502 is a backend's failure, an `api_error`. A status Anthropic does not
    /// use takes its class's: `invalid_request_error` for 4xx, `api_error` for 5xx.
    package static func type(forStatus status: Int) -> String {
        switch status {
        case 400: "invalid_request_error"
        case 401: "authentication_error"
        case 402: "billing_error"
        case 403: "permission_error"
        case 404: "not_found_error"
        case 408, 504: "timeout_error"
        case 413: "request_too_large"
        case 429: "rate_limit_error"
        case 503, 529: "overloaded_error"
        case 400..<500: "invalid_request_error"
        default: "api_error"
        }
    }
}
