@testable import RelayCore
@testable import RelayWire

/// Helpers shared by the Ollama translation tests.
enum OllamaTestSupport {
    static func request(_ json: String) throws -> ClientRequest {
        try ClientRequest(body: Array(json.utf8))
    }

    static func text(_ bytes: [UInt8]) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    static let chatID = OpenAIResponseID(prefix: "chatcmpl-", random: "test")
    static let completionID = OpenAIResponseID(prefix: "cmpl-", random: "test")
}
