/// The output items of a translated Responses answer, written from a chat answer's pieces,
/// each given as the JSON string literal the upstream wrote (quotes included), copied as it is.
enum ResponsesOutputItem {
    /// A new message item's id; the chat answer has one id for the whole completion.
    static func messageID() -> String {
        RandomID.make(prefix: "msg_")
    }

    /// A new function call item's id (the item's, not the call's, which is `call_id`).
    static func functionCallID() -> String {
        RandomID.make(prefix: "fc_")
    }

    /// A call id where the upstream gave none: the client answers the call by it.
    static func callID() -> [UInt8] {
        JSONString.encode(RandomID.make(prefix: "call_"))
    }

    /// `{"type":"message","id",…,"role":"assistant","content":[…]}`; `content` a JSON array of parts.
    static func message(id: String, status: String, content: [UInt8]) -> [UInt8] {
        var out = JSONObjectBuilder()
        out.add("type", string: "message")
        out.add("id", string: id)
        out.add("status", string: status)
        out.add("role", string: "assistant")
        out.add("content", raw: content)
        return out.bytes()
    }

    /// An `output_text` content part.
    static func outputText(_ text: some Sequence<UInt8>) -> [UInt8] {
        var out = JSONObjectBuilder()
        out.add("type", string: "output_text")
        out.add("text", raw: text)
        out.add("annotations", raw: "[]".utf8)
        return out.bytes()
    }

    /// A `refusal` content part: what the model said instead of answering.
    static func refusal(_ text: some Sequence<UInt8>) -> [UInt8] {
        var out = JSONObjectBuilder()
        out.add("type", string: "refusal")
        out.add("refusal", raw: text)
        return out.bytes()
    }

    /// `{"type":"function_call","id",…,"call_id","name","arguments"}`.
    static func functionCall(
        id: String,
        status: String,
        callID: some Sequence<UInt8>,
        name: some Sequence<UInt8>,
        arguments: some Sequence<UInt8>
    ) -> [UInt8] {
        var out = JSONObjectBuilder()
        out.add("type", string: "function_call")
        out.add("id", string: id)
        out.add("status", string: status)
        out.add("call_id", raw: callID)
        out.add("name", raw: name)
        out.add("arguments", raw: arguments)
        return out.bytes()
    }
}
