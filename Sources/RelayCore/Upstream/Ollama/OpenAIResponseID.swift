/// The `id` of one translated answer (`chatcmpl-…`, `cmpl-…`) and the tool-call ids derived
/// from it.
///
/// Ollama's answers carry no id, and older Ollama versions none for tool calls, while OpenAI
/// clients need both: a stream's chunks share one id, and a tool result names its call's id.
/// Deriving the call ids from the answer's random part keeps them unique without more state.
///
/// ```swift
/// let id = OpenAIResponseID.chatCompletion()   // chatcmpl-3hT0q...
/// id.toolCallID(0)                            // call_3hT0q..._0
/// ```
package struct OpenAIResponseID: Sendable, Equatable {
    package let id: String
    private let random: String

    /// `random` should be unique per answer; tests pass a fixed one.
    init(prefix: String, random: String) {
        self.id = prefix + random
        self.random = random
    }

    static func chatCompletion() -> OpenAIResponseID {
        OpenAIResponseID(prefix: "chatcmpl-", random: randomAlphanumerics(count: 24))
    }

    static func completion() -> OpenAIResponseID {
        OpenAIResponseID(prefix: "cmpl-", random: randomAlphanumerics(count: 24))
    }

    /// The id of the tool call at `index` (counted over the whole answer).
    func toolCallID(_ index: Int) -> String {
        "call_\(random)_\(index)"
    }

    private static func randomAlphanumerics(count: Int) -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
        var generator = SystemRandomNumberGenerator()
        let picked = (0..<count).map { _ in alphabet[Int(generator.next(upperBound: UInt(alphabet.count)))] }
        return String(decoding: picked, as: UTF8.self)
    }
}
