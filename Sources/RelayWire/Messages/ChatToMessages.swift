/// Translates a chat completion (not streamed) into an Anthropic message, for a Messages
/// client whose model's backend serves only chat.
///
/// The first choice's `content` becomes a `text` block (none when it is empty: Anthropic writes
/// no empty block) and each tool call a `tool_use` block, its `arguments` string parsed into
/// `input`. Arguments that are empty (a call without parameters, as some servers write it)
/// are `{}`; arguments that are not a JSON object are a broken answer: running a tool with
/// other arguments than the model wrote would be worse than an error. `reasoning_content` is
/// not returned: the client did not ask for thinking and could not send it back. `usage` counts
/// are the upstream's; an answer without them says 0 and returns no `Usage`, so the caller
/// settles on its own estimate.
///
/// ```swift
/// let (body, usage) = try ChatToMessages.message(answerBytes, alias: "claude-local")
/// ```
package enum ChatToMessages {
    package static func message(
        _ chatAnswer: [UInt8],
        alias: String
    ) throws(ChatToMessagesError) -> (body: [UInt8], usage: Usage?) {
        guard let answer = try? JSONScanner.object(in: chatAnswer) else {
            throw ChatToMessagesError("the answer is not a JSON object")
        }
        if let error = answer.member("error"), answer.kind(of: error.valueRange) != .null {
            throw ChatToMessagesError("the answer is an error")
        }
        guard let choices = answer.array("choices"), let first = choices.first else {
            throw ChatToMessagesError("the answer has no choices")
        }
        guard answer.kind(of: first) == .object, let choice = try? JSONScanner.object(in: chatAnswer, range: first),
            let message = choice.object("message")
        else { throw ChatToMessagesError("the answer's choice has no message") }

        var content = JSONArrayBuilder()
        var refused = false
        for key in ["content", "refusal"] {
            guard let member = message.member(key), message.kind(of: member.valueRange) != .null else { continue }
            guard message.kind(of: member.valueRange) == .string else {
                throw ChatToMessagesError("the answer's message \(key) is not a string")
            }
            // An empty string literal is two bytes, its quotes.
            guard member.valueRange.count > 2 else { continue }
            refused = refused || key == "refusal"
            var block = JSONObjectBuilder()
            block.add("type", string: "text")
            block.add("text", raw: chatAnswer[member.valueRange])
            content.append(raw: block.bytes())
        }
        let calls = try toolUseBlocks(of: message)
        for call in calls { content.append(raw: call) }

        let stop = MessagesStopReason(
            finishReason: refused ? "content_filter" : choice.string("finish_reason"),
            stopString: choice.string("stop_reason"),
            calledTools: !calls.isEmpty
        )
        let usage = answer.member("usage").flatMap { Usage(chatAnswer, range: $0.valueRange) }
        var out = JSONObjectBuilder()
        out.add("id", string: MessagesID.message(fromChatID: answer.string("id")))
        out.add("type", string: "message")
        out.add("role", string: "assistant")
        out.add("model", string: alias)
        out.add("content", raw: content.bytes())
        stop.add(to: &out)
        out.add("usage", raw: usageJSON(usage))
        return (out.bytes(), usage)
    }

    /// `{"input_tokens":…,"output_tokens":…}`: the upstream's counts, 0 where it gave none.
    static func usageJSON(_ usage: Usage?) -> [UInt8] {
        var out = JSONObjectBuilder()
        out.add("input_tokens", int: usage?.promptTokens ?? 0)
        out.add("output_tokens", int: usage?.completionTokens ?? 0)
        return out.bytes()
    }

    private static func toolUseBlocks(of message: JSONObject) throws(ChatToMessagesError) -> [[UInt8]] {
        guard let member = message.member("tool_calls"), message.kind(of: member.valueRange) != .null else {
            return []
        }
        guard let calls = message.array("tool_calls") else {
            throw ChatToMessagesError("the answer's tool_calls is not an array")
        }
        var blocks: [[UInt8]] = []
        for (position, range) in calls.enumerated() {
            guard message.kind(of: range) == .object,
                let call = try? JSONScanner.object(in: message.bytes, range: range),
                let function = call.object("function"), let name = function.member("name"),
                function.kind(of: name.valueRange) == .string
            else { throw ChatToMessagesError("the answer's tool call \(position) has no function name") }
            var block = JSONObjectBuilder()
            block.add("type", string: "tool_use")
            if let id = call.member("id"), call.kind(of: id.valueRange) == .string, id.valueRange.count > 2 {
                block.add("id", raw: message.bytes[id.valueRange])
            } else {
                block.add("id", string: MessagesID.toolUse())
            }
            block.add("name", raw: message.bytes[name.valueRange])
            guard let input = input(of: function) else {
                throw ChatToMessagesError("the answer's tool call \(position) has arguments that are not a JSON object")
            }
            block.add("input", raw: input)
            blocks.append(block.bytes())
        }
        return blocks
    }

    /// The arguments as a JSON object: decoded from chat's string, or copied when a server
    /// wrote an object; `{}` when there are none. `nil` for anything else.
    private static func input(of function: JSONObject) -> [UInt8]? {
        guard let member = function.member("arguments") else { return Array("{}".utf8) }
        switch function.kind(of: member.valueRange) {
        case .null:
            return Array("{}".utf8)
        case .object:
            return Array(function.bytes[member.valueRange])
        case .string:
            guard let text = function.string("arguments") else { return nil }
            let bytes = Array(text.utf8)
            guard bytes.contains(where: { !isWhitespace($0) }) else { return Array("{}".utf8) }
            guard (try? JSONScanner.object(in: bytes)) != nil else { return nil }
            return bytes
        default:
            return nil
        }
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
            || byte == UInt8(ascii: "\t")
    }
}
