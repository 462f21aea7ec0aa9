/// A client request that cannot be said in Ollama's native API (an image URL to fetch, token
/// arrays, tool-call arguments that are not a JSON object, ...). Answered as a 400
/// `invalid_request_error` with this message and param, before any backend is called.
struct OllamaTranslationError: Error, Equatable, Sendable {
    var message: String
    var param: String?

    init(_ message: String, param: String?) {
        self.message = message
        self.param = param
    }
}
