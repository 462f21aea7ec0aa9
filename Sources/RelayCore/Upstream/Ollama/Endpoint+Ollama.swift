import RelayWire

extension Endpoint {
    /// The path of Ollama's native API that serves this OpenAI call, appended to the backend's `base_url`.
    var ollamaPath: String {
        switch self {
        // Messages and Responses calls reach Ollama as chat (`UpstreamDialect`).
        case .chatCompletions, .messages, .messagesCountTokens, .responses: "/api/chat"
        case .completions: "/api/generate"
        case .embeddings: "/api/embed"
        }
    }
}
