/// Rewrites a complete (non-streamed) answer of a backend that serves Anthropic's Messages API
/// itself: `model` back to the client's alias, spliced into the upstream's bytes, and the usage
/// read for the limiter. A `count_tokens` answer has no `model` and passes unchanged.
package enum MessagesAnswerRewriter {
    /// Why an answer cannot be handed to the client as a success.
    package struct Unusable: Error, Equatable {
        package var reason: String
    }

    package static func rewrite(_ body: [UInt8], alias: String) throws(Unusable) -> (body: [UInt8], usage: Usage?) {
        guard let object = try? JSONScanner.object(in: body) else {
            throw Unusable(reason: "unreadable answer: not a JSON object")
        }
        if object.string("type") == "error" || object.member("error") != nil {
            throw Unusable(reason: "answered 200 with an error")
        }
        var out: [UInt8] = []
        out.reserveCapacity(body.count + alias.utf8.count)
        object.append(replacingValuesOf: "model", with: JSONString.encode(alias), to: &out)
        return (out, object.object("usage").flatMap(Usage.init(messagesUsage:)))
    }
}

extension Usage {
    /// Anthropic's `usage`: `input_tokens`, plus the prompt tokens read from or written to its
    /// cache, which the prompt cost too, and `output_tokens`. `nil` without `input_tokens`.
    package init?(messagesUsage usage: JSONObject) {
        guard let input = usage.int("input_tokens") else { return nil }
        let cached = (usage.int("cache_creation_input_tokens") ?? 0) + (usage.int("cache_read_input_tokens") ?? 0)
        self.init(promptTokens: input + cached, completionTokens: usage.int("output_tokens") ?? 0)
    }
}
