/// What a backend's config adds to every request sent to it in Ollama's native API.
///
/// ```swift
/// let defaults = OllamaBackendDefaults(backend)  // keep_alive: 5m, options: {num_ctx: 8192}
/// let body = try OllamaChatRequest.body(for: request, upstreamModel: "qwen2.5:7b", defaults: defaults)
/// ```
struct OllamaBackendDefaults: Sendable, Equatable {
    /// Sent as `keep_alive` (a Go duration such as `5m`; the config loader checked it).
    var keepAlive: String?
    /// Merged into every request's `options`; a sampling field the client sent wins over the
    /// same key here, so config options are defaults and the request is the override.
    var options: [String: JSONValue]

    init(keepAlive: String? = nil, options: [String: JSONValue] = [:]) {
        self.keepAlive = keepAlive
        self.options = options
    }

    init(_ backend: BackendConfig) {
        self.init(keepAlive: backend.keepAlive, options: backend.options)
    }
}
