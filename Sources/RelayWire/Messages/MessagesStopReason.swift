/// Anthropic's `stop_reason` and `stop_sequence` for how a chat choice finished.
///
/// `stop` → `end_turn`, or `stop_sequence` when the choice names the stop string it met (vLLM's
/// `stop_reason`, a string; a number there is a stop token's id, an ordinary end); `length` →
/// `max_tokens`; `tool_calls` (and the legacy `function_call`) → `tool_use`; `content_filter`
/// → `refusal`. A model that called tools but whose server says `stop` (some tool parsers do)
/// ended in `tool_use`, which is what clients wait for to run the tools. Anything else (none,
/// `abort`, a server's own word) is `end_turn`.
struct MessagesStopReason: Equatable {
    var reason: String
    /// The stop string met, decoded.
    var sequence: String?

    init(finishReason: String?, stopString: String?, calledTools: Bool) {
        switch finishReason {
        case "length":
            reason = "max_tokens"
        case "tool_calls", "function_call":
            reason = "tool_use"
        case "content_filter":
            reason = "refusal"
        default:
            if calledTools {
                reason = "tool_use"
            } else if finishReason == "stop", let stopString {
                reason = "stop_sequence"
                sequence = stopString
            } else {
                reason = "end_turn"
            }
        }
    }

    /// `"stop_reason":…,"stop_sequence":…`, members of a message or a `message_delta`'s delta.
    func add(to object: inout JSONObjectBuilder) {
        object.add("stop_reason", string: reason)
        if let sequence { object.add("stop_sequence", string: sequence) } else { object.addNull("stop_sequence") }
    }
}
