/// Token counts of one call, from the upstream's `usage` or Relay's own estimate.
package struct Usage: Sendable, Equatable {
    package var promptTokens: Int
    package var completionTokens: Int
    /// What a call is charged: prompt and completion.
    package var totalTokens: Int { promptTokens + completionTokens }
    /// `true` when Relay estimated the counts because the upstream did not report them.
    package var estimated: Bool = false

    /// The largest count kept. Counts come from the upstream's JSON: one past any model's context,
    /// or a negative one, is a broken upstream, and clamping it keeps the sums made of counts
    /// (`total_tokens`, the limiter's windows) from overflowing, which would stop the process.
    package static let maxCount = Int(UInt32.max)

    package init(promptTokens: Int, completionTokens: Int, estimated: Bool = false) {
        self.promptTokens = min(max(promptTokens, 0), Self.maxCount)
        self.completionTokens = min(max(completionTokens, 0), Self.maxCount)
        self.estimated = estimated
    }

    /// Where the two counts of a `usage` object are in the bytes scanned.
    struct CountRanges {
        var prompt: Range<Int>?
        var completion: Range<Int>?
    }

    /// Reads the OpenAI `usage` object at `range` of `bytes` (every answer's): walked once, its
    /// two counts read where they stand, no list of its members made. `nil` when it is not an
    /// object or its first `prompt_tokens` is not a whole number.
    init?(_ bytes: [UInt8], range: Range<Int>) {
        let counts = try? JSONScanner.scan(bytes, range: range) { scanner throws(JSONScanError) -> CountRanges in
            scanner.skipWhitespace()
            guard scanner.peek() == UInt8(ascii: "{") else { throw .notAnObject }
            let counts = try Self.countRanges(in: &scanner, depth: 0)
            scanner.skipWhitespace()
            guard scanner.index == scanner.end else { throw .trailingBytes }
            return counts
        }
        guard let counts else { return nil }
        self.init(bytes, counts: counts)
    }

    /// The counts at `counts` of `bytes`; `nil` without a whole `prompt_tokens`.
    init?(_ bytes: [UInt8], counts: CountRanges) {
        guard let promptRange = counts.prompt, let prompt = JSONObject.wholeNumber(bytes[promptRange]) else {
            return nil
        }
        let completion = counts.completion.flatMap { JSONObject.wholeNumber(bytes[$0]) }
        self.init(promptTokens: prompt, completionTokens: completion ?? 0)
    }

    /// Moves the scanner past the value at its index, a `usage` at nesting level `depth`, and
    /// tells where its first `prompt_tokens` and `completion_tokens` are: none for a value that
    /// is not an object. The walk of a whole answer calls it where it meets `usage`, so the
    /// object is read once.
    static func countRanges(in scanner: inout JSONScanner, depth: Int) throws(JSONScanError) -> CountRanges {
        var counts = CountRanges()
        guard scanner.peek() == UInt8(ascii: "{") else {
            try scanner.skipValue(depth: depth)
            return counts
        }
        try scanner.walkObject(depth: depth) { scanner, key throws(JSONScanError) in
            guard key.isUTF8 else { throw .invalidUTF8 }
            let start = scanner.index
            try scanner.skipValue(depth: depth + 1)
            if counts.prompt == nil, scanner.key(key, is: "prompt_tokens") {
                counts.prompt = start..<scanner.index
            } else if counts.completion == nil, scanner.key(key, is: "completion_tokens") {
                counts.completion = start..<scanner.index
            }
        }
        return counts
    }

    /// The OpenAI `usage` object.
    package var json: [UInt8] {
        Array(
            "{\"prompt_tokens\":\(promptTokens),\"completion_tokens\":\(completionTokens),\"total_tokens\":\(totalTokens)}"
                .utf8
        )
    }
}

extension Usage {
    /// What a stream the upstream reported no usage for is charged: the prompt's estimate, and
    /// for the output the larger of the pieces of text sent (a token each at least) and their
    /// bytes at four a token.
    package static func streamEstimate(prompt: Int, textPieces: Int, textBytes: Int) -> Usage {
        Usage(
            promptTokens: prompt,
            completionTokens: max(textPieces, TokenEstimate.tokens(forBytes: textBytes)),
            estimated: true
        )
    }
}

/// Relay's token estimate where no tokenizer answer is available: about four bytes of text a
/// token, the usual rule of thumb for English text with BPE tokenizers.
package enum TokenEstimate {
    package static func tokens(forBytes count: Int) -> Int {
        (count + 3) / 4
    }
}
