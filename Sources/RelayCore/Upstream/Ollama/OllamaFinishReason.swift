/// Ollama's `done_reason` as OpenAI's `finish_reason`.
///
/// Ollama says `stop` even when the model called tools, so a call seen in the answer decides
/// `tool_calls`. `load`/`unload` (an empty request that only loaded a model) and a missing
/// reason (older Ollama versions) are a normal `stop`; so is anything unknown, because SDKs
/// type `finish_reason` as a closed set.
enum OllamaFinishReason {
    static func openAI(doneReason: String?, calledTools: Bool) -> String {
        if calledTools { return "tool_calls" }
        return doneReason == "length" ? "length" : "stop"
    }
}
