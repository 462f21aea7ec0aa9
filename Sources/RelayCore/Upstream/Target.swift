/// One place a request can be sent: a backend and the model name it is sent there.
package struct Target: Sendable {
    package let backend: Backend
    package let upstreamModel: String
    /// `true` for the model's `fallbacks`, `false` for its own backends.
    package let isFallback: Bool
}
