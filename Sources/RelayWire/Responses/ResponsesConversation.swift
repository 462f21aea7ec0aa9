/// What Relay keeps of a translated Responses conversation, so that a follow-up's
/// `previous_response_id` continues it on a backend that serves only chat.
///
/// Relay stores two things under a response's id: the response object (the answer's body, or a
/// stream's `finalResponse`), which `GET /v1/responses/{id}` returns as it is, and the chat
/// history, which `ResponsesToChat.body(_:history:upstreamModel:)` puts before the next turn's
/// input. The history is the chat `messages` this turn sent, without the system message made
/// from `instructions` (Responses does not carry instructions over to the next turn), and then
/// the answer's output items as chat messages (its text and tool calls, as one assistant
/// message). The next turn's history is therefore exactly the messages the backend has seen,
/// so each stored turn holds the conversation so far once: it grows with the conversation
/// and nothing else, and a history over `maxHistoryBytes` is not kept (`nil`), so that no
/// conversation can make the store hold more than that for one response.
///
/// ```swift
/// let chatBody = try ResponsesToChat.body(request, history: previous?.history, upstreamModel: upstream)
/// // ... the answer, translated by ChatToResponses or ResponsesStreamWriter
/// let history = ResponsesConversation.history(chatBody: chatBody, request: request, outputItems: items)
/// ```
package enum ResponsesConversation {
    /// The largest history kept for a response: far more than any backend's context window
    /// holds as text, so a conversation the backend can still read is never cut.
    package static let maxHistoryBytes = 8 << 20

    /// The chat messages the next turn starts from, a JSON array; `nil` when `chatBody` is not a
    /// chat body `ResponsesToChat` made for `request`, when the output items cannot be said in
    /// chat, or when the history would be over `maxHistoryBytes`.
    /// - Parameters:
    ///   - chatBody: the chat request `ResponsesToChat.body` made for this turn.
    ///   - request: this turn's Responses request.
    ///   - outputItems: the answer's output items, a JSON array (`ChatToResponses`'s
    ///     `outputItems`, `ResponsesStreamWriter.outputItems`).
    package static func history(chatBody: [UInt8], request: ClientRequest, outputItems: [UInt8]) -> [UInt8]? {
        guard let chat = try? JSONScanner.object(in: chatBody), let sent = chat.array("messages"),
            let items = try? JSONScanner.arrayElements(in: outputItems, range: 0..<outputItems.count)
        else { return nil }
        let top = TranslatedRequestObject(request.object, path: "")
        let instructions = (try? ResponsesToChat.instructionsMessage(of: top)) ?? nil
        var messages = JSONArrayBuilder()
        for range in sent.dropFirst(instructions == nil ? 0 : 1) { messages.append(raw: chatBody[range]) }
        do {
            try ResponsesInput.append(items: items, in: outputItems, path: "output", to: &messages)
        } catch {
            return nil
        }
        let history = messages.bytes()
        return history.count <= maxHistoryBytes ? history : nil
    }
}
