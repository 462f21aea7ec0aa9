/// What Relay keeps of a Responses conversation, so that a follow-up's `previous_response_id`
/// continues it on any backend: one that serves Responses itself but keeps no state
/// (llama-server refuses `previous_response_id`), and one that serves only chat.
///
/// Relay stores two things under a response's id: the response object, which
/// `GET /v1/responses/{id}` returns as it is, and the conversation so far as Responses input
/// items: the earlier turns' items, this turn's `input` (a string as one user message item),
/// then the answer's `output` items, which the Responses API accepts back as input. A
/// follow-up is sent either those items before its own input (`expandedRequest`, to a backend
/// that serves Responses), or their chat messages (`chatHistory`, to `ResponsesToChat`).
/// `instructions` are not part of it: Responses does not carry them over to the next turn.
/// Each stored turn holds the conversation so far once, and a conversation over
/// `maxHistoryBytes` is not kept (`nil`), so that no conversation can make the store hold more
/// than that for one response.
///
/// ```swift
/// let items = ResponsesConversation.items(previous: stored?.items, request: request, outputItems: output)
/// let chatBody = try ResponsesToChat.body(
///     request, history: ResponsesConversation.chatHistory(items), upstreamModel: upstream)
/// ```
package enum ResponsesConversation {
    /// The largest conversation kept for a response: far more than any backend's context window
    /// holds as text, so a conversation the backend can still read is never cut.
    package static let maxHistoryBytes = 8 << 20

    /// The conversation after this turn, a JSON array of input items; `nil` when `previous` or
    /// `outputItems` is not a JSON array, when the request has no `input` to keep, or when the
    /// conversation would be over `maxHistoryBytes`.
    /// - Parameters:
    ///   - previous: the stored items of the turn this one continues, nil for none.
    ///   - request: this turn's Responses request.
    ///   - outputItems: the answer's output items, a JSON array.
    package static func items(previous: [UInt8]?, request: ClientRequest, outputItems: [UInt8]) -> [UInt8]? {
        var items = JSONArrayBuilder()
        if let previous {
            guard append(elementsOf: previous, to: &items) else { return nil }
        }
        guard appendInput(of: request, to: &items), append(elementsOf: outputItems, to: &items) else { return nil }
        let bytes = items.bytes()
        return bytes.count <= maxHistoryBytes ? bytes : nil
    }

    /// The request a backend that serves Responses itself is sent for a follow-up:
    /// `previous_response_id` dropped and `input` the stored items followed by this turn's
    /// input, every other member byte for byte. `nil` when either cannot be read.
    package static func expandedRequest(_ request: ClientRequest, previous: [UInt8]) -> [UInt8]? {
        var input = JSONArrayBuilder()
        guard append(elementsOf: previous, to: &input), appendInput(of: request, to: &input) else { return nil }
        var rewriter = JSONObjectRewriter(request.object)
        rewriter.drop("previous_response_id")
        rewriter.set("input", to: input.bytes())
        return rewriter.bytes()
    }

    /// The conversation's first item, as it is stored: the same for every turn chained by
    /// `previous_response_id`, so it stands for the conversation (`AffinityKey`). `nil` when
    /// there is none to read.
    package static func opening(of request: ClientRequest, previous: [UInt8]?) -> [UInt8]? {
        var first = JSONArrayBuilder()
        if let previous {
            guard let element = try? JSONScanner.arrayElements(in: previous, range: 0..<previous.count).first
            else { return nil }
            return Array(previous[element])
        }
        guard appendInput(of: request, to: &first), first.count > 0 else { return nil }
        let items = first.bytes()
        return (try? JSONScanner.arrayElements(in: items, range: 0..<items.count).first).map { Array(items[$0]) }
    }

    /// The stored items as chat messages (a JSON array), for `ResponsesToChat.body`'s history.
    package static func chatHistory(_ items: [UInt8]) throws(ClientRequestError) -> [UInt8] {
        guard let elements = try? JSONScanner.arrayElements(in: items, range: 0..<items.count) else {
            throw TranslatedRequestObject.error(
                "previous_response_id", "the stored conversation of this response cannot be read")
        }
        var messages = JSONArrayBuilder()
        try ResponsesInput.append(items: elements, in: items, path: "previous_response_id", to: &messages)
        return messages.bytes()
    }

    /// This turn's `input` as items: a string as one user message, an array's items as they are.
    private static func appendInput(of request: ClientRequest, to items: inout JSONArrayBuilder) -> Bool {
        guard let input = request.object.member("input") else { return false }
        switch request.object.kind(of: input.valueRange) {
        case .string:
            var message = JSONObjectBuilder()
            message.add("role", string: "user")
            message.add("content", raw: request.object.bytes[input.valueRange])
            items.append(raw: message.bytes())
            return true
        case .array:
            return append(elementsOf: Array(request.object.bytes[input.valueRange]), to: &items)
        default:
            return false
        }
    }

    private static func append(elementsOf array: [UInt8], to items: inout JSONArrayBuilder) -> Bool {
        guard let elements = try? JSONScanner.arrayElements(in: array, range: 0..<array.count) else { return false }
        for element in elements { items.append(raw: array[element]) }
        return true
    }
}
