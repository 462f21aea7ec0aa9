/// The client-facing API calls Relay proxies.
package enum Endpoint: String, Sendable, CaseIterable {
    case chatCompletions = "/v1/chat/completions"
    case completions = "/v1/completions"
    case embeddings = "/v1/embeddings"

    /// Whether the call can be streamed.
    package var streams: Bool { self != .embeddings }

    /// Where the case stands in `allCases`.
    package var position: Int {
        switch self {
        case .chatCompletions: 0
        case .completions: 1
        case .embeddings: 2
        }
    }
}
