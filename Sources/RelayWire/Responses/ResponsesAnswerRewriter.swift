/// Rewrites a complete (non-streamed) answer of a backend that serves OpenAI's Responses API
/// itself: `model` back to the client's alias, spliced into the upstream's bytes, and what Relay
/// reads of it: the usage for the limiter, the id and the output items for the stored
/// conversation. A follow-up Relay expanded (`ResponsesConversation.expandedRequest`) was sent
/// without `previous_response_id`; the answer gets it back (`previousResponseID`), as the
/// client asked it.
package enum ResponsesAnswerRewriter {
    package struct Answer: Sendable {
        package var body: [UInt8]
        package var usage: Usage?
        package var id: String?
        /// The response's `output`, a JSON array.
        package var outputItems: [UInt8]?
    }

    package static func rewrite(
        _ body: [UInt8],
        alias: String,
        previousResponseID: String? = nil
    ) throws(ChatToResponsesError) -> Answer {
        guard let object = try? JSONScanner.object(in: body) else {
            throw ChatToResponsesError("unreadable answer: not a JSON object")
        }
        if let error = object.member("error"), object.kind(of: error.valueRange) != .null {
            throw ChatToResponsesError("answered 200 with an error")
        }
        var out: [UInt8] = []
        if let previousResponseID {
            var rewriter = JSONObjectRewriter(object)
            rewriter.set("model", to: JSONString.encode(alias))
            rewriter.set("previous_response_id", to: JSONString.encode(previousResponseID))
            out = rewriter.bytes()
        } else {
            out.reserveCapacity(body.count + alias.utf8.count)
            object.append(replacingValuesOf: "model", with: JSONString.encode(alias), to: &out)
        }
        return Answer(
            body: out,
            usage: object.object("usage").flatMap(Usage.init(responsesUsage:)),
            id: object.string("id"),
            outputItems: object.member("output").map { Array(body[$0.valueRange]) }
        )
    }
}

extension Usage {
    /// The Responses API's `usage`: `input_tokens` (cached ones included) and `output_tokens`.
    /// `nil` without `input_tokens`.
    package init?(responsesUsage usage: JSONObject) {
        guard let input = usage.int("input_tokens") else { return nil }
        self.init(promptTokens: input, completionTokens: usage.int("output_tokens") ?? 0)
    }
}
