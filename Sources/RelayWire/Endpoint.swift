/// The client-facing API calls Relay proxies.
package enum Endpoint: String, Sendable, CaseIterable {
    case chatCompletions = "/v1/chat/completions"
    case completions = "/v1/completions"
    case embeddings = "/v1/embeddings"
    /// Anthropic's Messages API (SPEC §8).
    case messages = "/v1/messages"
    case messagesCountTokens = "/v1/messages/count_tokens"
    /// OpenAI's Responses API (SPEC §8); reading and deleting a stored response have their own routes.
    case responses = "/v1/responses"

    /// Whether the call can be streamed.
    package var streams: Bool { self != .embeddings && self != .messagesCountTokens }

    /// The API family the call belongs to: what a backend must serve to take it as it is, and
    /// the shape of the client's errors.
    package var api: ClientAPI {
        switch self {
        case .chatCompletions, .completions, .embeddings: .chat
        case .messages, .messagesCountTokens: .messages
        case .responses: .responses
        }
    }

    /// Where the case stands in `allCases`.
    package var position: Int {
        switch self {
        case .chatCompletions: 0
        case .completions: 1
        case .embeddings: 2
        case .messages: 3
        case .messagesCountTokens: 4
        case .responses: 5
        }
    }
}

/// The APIs a client can speak to Relay, and a backend can serve natively (`apis:`).
package enum ClientAPI: String, Sendable, CaseIterable {
    /// OpenAI's chat completions, completions and embeddings.
    case chat
    /// Anthropic's Messages.
    case messages
    /// OpenAI's Responses.
    case responses
}
