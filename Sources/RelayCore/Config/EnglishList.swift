/// Joins choices for messages: `ollama, vllm or openai`.
enum EnglishList {
    static func or(_ words: [String]) -> String {
        guard let last = words.last else { return "" }
        guard words.count > 1 else { return last }
        return words.dropLast().joined(separator: ", ") + " or " + last
    }
}
