/// One place a request can be sent: a backend and the model name it is sent there.
struct Target: Sendable {
    let backend: Backend
    let upstreamModel: String
    /// `true` for the model's `fallbacks`, `false` for its own backends.
    let isFallback: Bool
    /// What its tokens cost (the most specific `price`: the fallback entry's, the backend's, the
    /// model's); nil is free.
    var price: Price? = nil
}
