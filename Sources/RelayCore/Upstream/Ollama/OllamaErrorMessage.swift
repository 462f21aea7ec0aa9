import RelayWire

/// The message of an Ollama error answer, `{"error":"model \"qwen2.5:7b\" not found, try pulling it first"}`.
///
/// Upstream error messages never reveal the upstream model name to clients, so callers pass
/// the names to swap:
///
/// ```swift
/// let message = OllamaErrorMessage.message(in: body, upstreamModel: "qwen2.5:7b", alias: "qwen2.5")
///     ?? "the backend answered \(status) without an error message"
/// ```
enum OllamaErrorMessage {
    /// Ollama's message, or `nil` when `body` is not an error object.
    static func message(in body: [UInt8]) -> String? {
        guard let object = try? JSONScanner.object(in: body) else { return nil }
        return message(of: object)
    }

    /// Ollama's message with every mention of `upstreamModel`, in any case, replaced by `alias`,
    /// and internal URLs and paths redacted (`UpstreamErrorScrubber`).
    static func message(in body: [UInt8], upstreamModel: String, alias: String) -> String? {
        message(in: body).map { hidingModel(upstreamModel, behind: alias, in: $0) }
    }

    /// `error` as Ollama sends it (a string), or as OpenAI-style servers do (`{"message": ...}`).
    static func message(of object: JSONObject) -> String? {
        if let text = object.string("error") { return text }
        return object.object("error")?.string("message")
    }

    static func hidingModel(_ upstreamModel: String, behind alias: String, in message: String) -> String {
        UpstreamErrorScrubber.scrub(message, upstreamModel: upstreamModel, alias: alias)
    }
}
