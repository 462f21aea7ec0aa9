import RelayWire

extension Endpoint {
    /// The path of Ollama's native API that serves this OpenAI call, appended to the backend's `base_url`.
    var ollamaPath: String {
        switch self {
        // A Messages call reaches Ollama as chat (`UpstreamDialect.messagesOverOllama`).
        case .chatCompletions, .messages, .messagesCountTokens: "/api/chat"
        case .completions: "/api/generate"
        case .embeddings: "/api/embed"
        }
    }
}
