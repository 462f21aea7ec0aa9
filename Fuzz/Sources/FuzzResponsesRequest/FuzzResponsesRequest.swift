// An OpenAI Responses request translated to OpenAI chat: ClientRequest, ResponsesToChat, with
// and without a stored history, and the conversation ResponsesConversation keeps of the turn.
//
// Every input is refused (by ClientRequest, or by the translation with a message that starts
// with the field's path, given as `param`) or becomes a chat body that parses again as a
// client request for the upstream model, with the request's stream, a `messages` array of
// objects with a role, the history's messages added, and a size proportional to the request's.
// The conversation kept of the turn says, in chat, the messages sent without the instructions'
// system message, and the answer.
@testable import RelayWire

private let upstreamModel = "Qwen/Qwen2.5-7B \"q\"\u{0}é"
private let history = Array(
    (#"[{"role":"user","content":"Weather?"},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","#
        + #""type":"function","function":{"name":"weather","arguments":"{}"}}]},"#
        + #"{"role":"tool","tool_call_id":"c1","content":"18C"}]"#).utf8)
private let historyCount = 3

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzResponsesRequest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let body = Array(UnsafeBufferPointer(start: data, count: size))
    guard let request = try? ClientRequest(body: body) else { return 0 }
    let alone: [UInt8]
    do {
        alone = try ResponsesToChat.body(request, history: nil, upstreamModel: upstreamModel)
    } catch {
        checkRefusal(error)
        // The history changes nothing of what is refused.
        do {
            _ = try ResponsesToChat.body(request, history: history, upstreamModel: upstreamModel)
            fail("refused alone (\(error.message)) but not after a history")
        } catch {
            checkRefusal(error)
        }
        return 0
    }
    let withHistory: [UInt8]
    do {
        withHistory = try ResponsesToChat.body(request, history: history, upstreamModel: upstreamModel)
    } catch {
        fail("translated alone but refused after a history: \(error.message)")
    }
    let messagesAlone = checkChatBody(alone, request: request, bodySize: body.count)
    let messagesAfter = checkChatBody(withHistory, request: request, bodySize: body.count + history.count)
    check(messagesAfter == messagesAlone + historyCount, "the history's messages are not all in the chat body")

    // What is kept of the turn: its input, and the output; in chat, the messages sent without
    // the instructions, and the answer.
    let instructions = request.object.member("instructions").map {
        request.object.kind(of: $0.valueRange) == .string && $0.valueRange.count > 2
    }
    let output = Array(#"[{"type":"message","role":"assistant","content":"ok"}]"#.utf8)
    guard let kept = ResponsesConversation.items(previous: nil, request: request, outputItems: output),
        let keptChat = try? ResponsesConversation.chatHistory(kept)
    else { fail("no conversation kept of a translated turn") }
    let keptCount = (try? JSONScanner.arrayElements(in: keptChat, range: 0..<keptChat.count))?.count
    check(
        keptCount == messagesAlone - (instructions == true ? 1 : 0) + 1,
        "the conversation kept has \(keptCount ?? -1) messages of \(messagesAlone) sent")
    return 0
}

private func checkRefusal(_ error: ClientRequestError) {
    guard let param = error.param else { fail("a refusal without a param: \(error.message)") }
    check(
        error.message.hasPrefix("\(param): "),
        "the refusal \(error.message.debugDescription) does not name \(param)")
}

/// Checks a chat body and returns how many messages it has.
private func checkChatBody(_ chat: [UInt8], request: ClientRequest, bodySize: Int) -> Int {
    let parsed: ClientRequest
    do {
        parsed = try ClientRequest(body: chat)
    } catch {
        fail("the chat body does not parse: \(error.message)")
    }
    check(parsed.model == upstreamModel, "the chat body's model is \(parsed.model.debugDescription)")
    check(parsed.stream == request.stream, "stream changed")
    check(parsed.includeUsage == request.stream, "a stream that does not ask for usage, or the reverse")
    let messages = parsed.object.array("messages")
    check(messages?.isEmpty == false, "the chat body has no messages")
    for range in messages ?? [] {
        let message = try? JSONScanner.object(in: chat, range: range)
        check(message?.string("role") != nil, "a chat message without a role")
    }
    // Each item becomes a message or a part of about its own size.
    check(chat.count <= 4 * bodySize + 256, "the chat body is \(chat.count) bytes for a request of \(bodySize)")
    return messages?.count ?? 0
}

private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fail(message()) }
}

private func fail(_ message: String) -> Never {
    fatalError("FuzzResponsesRequest: \(message)")
}
