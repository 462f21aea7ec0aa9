/// The ids of Anthropic messages and tool calls Relay writes.
enum MessagesID {
    /// `msg_` and the chat completion's id, or a random one when the upstream gave none.
    static func message(fromChatID chatID: String?) -> String {
        guard let chatID, !chatID.isEmpty else { return RandomID.make(prefix: "msg_") }
        return "msg_" + chatID
    }

    /// A tool call's id where the upstream gave none: a client answers the call by it.
    static func toolUse() -> String {
        RandomID.make(prefix: "toolu_")
    }
}
