/// Which of the models Relay sends to an Ollama backend that server has not pulled, from its
/// `GET /api/tags` answer, so a health check can tell "Ollama is up but the model is not
/// pulled" from "Ollama is up".
///
/// ```swift
/// let wanted = OllamaModelCheck.upstreamModels(sentTo: "ollama-local", in: config)
/// let missing = OllamaModelCheck.notPulled(wanted, tagsAnswer: body)  // ["qwen2.5:7b"]
/// ```
enum OllamaModelCheck {
    /// The upstream model names the config sends to `backend`, as a model's own backend or as one
    /// of its fallbacks; sorted, each once.
    static func upstreamModels(sentTo backend: String, in config: RelayConfig) -> [String] {
        var names = Set<String>()
        for model in config.models.values {
            if model.backends.contains(backend) { names.insert(model.upstreamModel) }
            for fallback in model.fallbacks where fallback.backend == backend {
                names.insert(fallback.upstreamModel)
            }
        }
        return names.sorted()
    }

    /// Those of `models` the tags answer does not list, or `nil` when `body` is not a tags answer
    /// (then nothing is known about what is pulled).
    static func notPulled(_ models: [String], tagsAnswer body: [UInt8]) -> [String]? {
        guard let pulled = OllamaTags.modelNames(in: body) else { return nil }
        return models.filter { !OllamaTags.contains($0, in: pulled) }
    }
}
