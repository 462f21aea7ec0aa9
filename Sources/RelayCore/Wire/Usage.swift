/// Token counts of one call, from the upstream's `usage` or Relay's own estimate.
public struct Usage: Sendable, Equatable {
    public var promptTokens: Int
    public var completionTokens: Int
    /// `true` when Relay estimated the counts because the upstream did not report them.
    public var estimated: Bool = false

    /// The largest count kept. Counts come from the upstream's JSON: one past any model's context,
    /// or a negative one, is a broken upstream, and clamping it keeps the sums made of counts
    /// (`total_tokens`, the limiter's windows) from overflowing, which would stop the process.
    public static let maxCount = Int(UInt32.max)

    public init(promptTokens: Int, completionTokens: Int, estimated: Bool = false) {
        self.promptTokens = min(max(promptTokens, 0), Self.maxCount)
        self.completionTokens = min(max(completionTokens, 0), Self.maxCount)
        self.estimated = estimated
    }

    /// Reads an OpenAI `usage` object.
    init?(_ object: JSONObject) {
        guard let prompt = object.int("prompt_tokens") else { return nil }
        self.init(promptTokens: prompt, completionTokens: object.int("completion_tokens") ?? 0)
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
