import RelayWire

/// Translates a client's OpenAI request into the body of the matching Ollama call
/// (`endpoint.ollamaPath`), for callers that handle the three endpoints alike.
///
/// ```swift
/// let body = try OllamaRequest.body(
///     for: .chatCompletions, request: request, upstreamModel: target.upstreamModel,
///     defaults: OllamaBackendDefaults(backend.config))
/// ```
enum OllamaRequest {
    static func body(
        for endpoint: Endpoint,
        request: ClientRequest,
        upstreamModel: String,
        defaults: OllamaBackendDefaults
    ) throws(OllamaTranslationError) -> [UInt8] {
        switch endpoint {
        // Messages and Responses requests arrive here already translated to chat (`UpstreamDialect`).
        case .chatCompletions, .messages, .messagesCountTokens, .responses:
            try OllamaChatRequest.body(for: request, upstreamModel: upstreamModel, defaults: defaults)
        case .completions:
            try OllamaGenerateRequest.body(for: request, upstreamModel: upstreamModel, defaults: defaults)
        case .embeddings: try OllamaEmbedRequest.body(for: request, upstreamModel: upstreamModel, defaults: defaults)
        }
    }
}
