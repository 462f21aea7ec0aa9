/// One place a request can be sent: a backend and the model name it is sent there.
public struct Target: Sendable {
    public let backend: Backend
    public let upstreamModel: String
    /// `true` for the model's `fallbacks`, `false` for its own backends.
    public let isFallback: Bool
}
