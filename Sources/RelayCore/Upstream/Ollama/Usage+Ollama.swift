import RelayWire

extension Usage {
    /// Token counts from an Ollama answer or final stream line: `prompt_eval_count` and
    /// `eval_count`. Ollama omits a count that is zero (a prompt served from its cache, an
    /// empty answer), so an absent count is 0, not an unknown.
    init(ollama object: JSONObject) {
        self.init(
            promptTokens: object.int("prompt_eval_count") ?? 0,
            completionTokens: object.int("eval_count") ?? 0
        )
    }
}
