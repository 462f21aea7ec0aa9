/// Translates a chat completion (not streamed) into a Responses `response` object, for a
/// Responses client whose model's backend serves only chat.
///
/// The first choice's `content` becomes a `message` item with one `output_text` part (its
/// `refusal` a `refusal` part), and each tool call a `function_call` item, its `arguments`
/// string as the model wrote it (an object some servers write is made a string; none is `{}`).
/// An answer of tool calls alone has no message item; an answer of nothing has a message with
/// empty text, so `output_text` is always there to read. `finish_reason` `length` makes the
/// response `incomplete` for `max_output_tokens`, `content_filter` for `content_filter`.
/// `reasoning_content` is not returned: there is no reasoning item to carry it back to chat.
/// `usage` counts are the upstream's; an answer without them has `usage: null` and returns no
/// `Usage`, so the caller settles on its own estimate.
///
/// ```swift
/// let answer = try ChatToResponses.response(
///     bytes, id: "resp_…", alias: "gpt-local", createdAt: now, request: request)
/// store(id, body: answer.body, history: ResponsesConversation.history(
///     chatBody: chatBody, request: request, outputItems: answer.outputItems))
/// ```
package enum ChatToResponses {
    package static func response(
        _ chatAnswer: [UInt8],
        id: String,
        alias: String,
        createdAt: Int,
        request: ClientRequest
    ) throws(ChatToResponsesError) -> (body: [UInt8], usage: Usage?, outputItems: [UInt8]) {
        guard let answer = try? JSONScanner.object(in: chatAnswer) else {
            throw ChatToResponsesError("the answer is not a JSON object")
        }
        if let error = answer.member("error"), answer.kind(of: error.valueRange) != .null {
            throw ChatToResponsesError("the answer is an error")
        }
        guard let choices = answer.array("choices"), let first = choices.first else {
            throw ChatToResponsesError("the answer has no choices")
        }
        guard answer.kind(of: first) == .object, let choice = try? JSONScanner.object(in: chatAnswer, range: first),
            let message = choice.object("message")
        else { throw ChatToResponsesError("the answer's choice has no message") }

        let incompleteReason: String? =
            switch choice.string("finish_reason") {
            case "length": "max_output_tokens"
            case "content_filter": "content_filter"
            default: nil
            }
        let status = incompleteReason == nil ? "completed" : "incomplete"
        var parts = JSONArrayBuilder()
        for key in ["content", "refusal"] {
            guard let member = message.member(key), message.kind(of: member.valueRange) != .null else { continue }
            guard message.kind(of: member.valueRange) == .string else {
                throw ChatToResponsesError("the answer's message \(key) is not a string")
            }
            let literal = chatAnswer[member.valueRange]
            // An empty string literal is two bytes, its quotes.
            guard literal.count > 2 else { continue }
            parts.append(
                raw: key == "content" ? ResponsesOutputItem.outputText(literal) : ResponsesOutputItem.refusal(literal))
        }
        let calls = try functionCalls(of: message, status: status)
        var output = JSONArrayBuilder()
        if parts.count > 0 || calls.isEmpty {
            if parts.count == 0 { parts.append(raw: ResponsesOutputItem.outputText("\"\"".utf8)) }
            output.append(
                raw: ResponsesOutputItem.message(
                    id: ResponsesOutputItem.messageID(), status: status, content: parts.bytes()))
        }
        for call in calls { output.append(raw: call) }

        let usage = answer.member("usage").flatMap { Usage(chatAnswer, range: $0.valueRange) }
        let outputItems = output.bytes()
        let body = ResponsesEcho(request).response(
            id: id, alias: alias, createdAt: createdAt, status: status, output: outputItems, usage: usage,
            incompleteReason: incompleteReason)
        return (body, usage, outputItems)
    }

    private static func functionCalls(
        of message: JSONObject,
        status: String
    ) throws(ChatToResponsesError) -> [[UInt8]] {
        guard let member = message.member("tool_calls"), message.kind(of: member.valueRange) != .null else {
            return []
        }
        guard let calls = message.array("tool_calls") else {
            throw ChatToResponsesError("the answer's tool_calls is not an array")
        }
        var items: [[UInt8]] = []
        for (position, range) in calls.enumerated() {
            guard message.kind(of: range) == .object,
                let call = try? JSONScanner.object(in: message.bytes, range: range),
                let function = call.object("function"), let name = function.member("name"),
                function.kind(of: name.valueRange) == .string
            else { throw ChatToResponsesError("the answer's tool call \(position) has no function name") }
            let callID: [UInt8]
            if let id = call.member("id"), call.kind(of: id.valueRange) == .string, id.valueRange.count > 2 {
                callID = Array(message.bytes[id.valueRange])
            } else {
                callID = ResponsesOutputItem.callID()
            }
            guard let arguments = arguments(of: function) else {
                throw ChatToResponsesError("the answer's tool call \(position) has arguments that are not a string")
            }
            items.append(
                ResponsesOutputItem.functionCall(
                    id: ResponsesOutputItem.functionCallID(), status: status, callID: callID,
                    name: message.bytes[name.valueRange], arguments: arguments))
        }
        return items
    }

    /// The arguments as the JSON string literal Responses carries them in.
    private static func arguments(of function: JSONObject) -> [UInt8]? {
        guard let member = function.member("arguments") else { return JSONString.encode("{}") }
        switch function.kind(of: member.valueRange) {
        case .null:
            return JSONString.encode("{}")
        case .string:
            return Array(function.bytes[member.valueRange])
        case .object:
            let compact = JSONCompaction.compact(function.bytes[member.valueRange])
            return JSONString.encode(String(decoding: compact, as: UTF8.self))
        default:
            return nil
        }
    }
}
