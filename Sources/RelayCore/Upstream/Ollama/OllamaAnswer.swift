import RelayWire

/// A complete (non-streamed) Ollama answer translated for the client, with the usage to
/// settle the limiter on.
struct OllamaAnswer: Sendable, Equatable {
    /// The OpenAI-shaped JSON body.
    var body: [UInt8]
    var usage: Usage
}

/// An Ollama answer that could not be translated: not JSON, not the expected shape, or an
/// `{"error": ...}` sent with a success status. The backend is at fault (a 502 for the client).
struct OllamaAnswerError: Error, Equatable, Sendable {
    /// For logs and the 502 message; Ollama's own error text when it sent one.
    var message: String

    init(_ message: String) {
        self.message = message
    }

    /// Reads the answer's top-level object, turning an Ollama error body into an error.
    static func object(in body: [UInt8]) throws(OllamaAnswerError) -> JSONObject {
        guard let object = try? JSONScanner.object(in: body) else {
            throw OllamaAnswerError("the backend's answer is not a JSON object")
        }
        if let message = OllamaErrorMessage.message(of: object) { throw OllamaAnswerError(message) }
        return object
    }
}
