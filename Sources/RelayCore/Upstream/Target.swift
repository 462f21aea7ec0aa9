/// One place a request can be sent: a backend and the model name it is sent there.
struct Target: Sendable {
    let backend: Backend
    let upstreamModel: String
    /// `true` for the model's `fallbacks`, `false` for its own backends.
    let isFallback: Bool
}
