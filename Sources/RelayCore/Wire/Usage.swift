/// Token counts of one call, from the upstream's `usage` or Relay's own estimate.
public struct Usage: Sendable, Equatable {
    public var promptTokens: Int
    public var completionTokens: Int
    /// `true` when Relay estimated the counts because the upstream did not report them.
    public var estimated: Bool = false

    public init(promptTokens: Int, completionTokens: Int, estimated: Bool = false) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.estimated = estimated
    }

    /// Reads an OpenAI `usage` object.
    init?(_ object: JSONObject) {
        guard let prompt = object.int("prompt_tokens") else { return nil }
        self.promptTokens = prompt
        self.completionTokens = object.int("completion_tokens") ?? 0
    }

    /// The OpenAI `usage` object.
    var json: [UInt8] {
        Array(
            "{\"prompt_tokens\":\(promptTokens),\"completion_tokens\":\(completionTokens),\"total_tokens\":\(promptTokens + completionTokens)}"
                .utf8
        )
    }
}

/// Relay's token estimate where no tokenizer answer is available: about four bytes of text a
/// token, the usual rule of thumb for English text with BPE tokenizers.
public enum TokenEstimate {
    public static func tokens(forBytes count: Int) -> Int {
        (count + 3) / 4
    }
}
