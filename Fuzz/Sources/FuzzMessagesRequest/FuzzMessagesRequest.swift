// An Anthropic Messages request translated to OpenAI chat: ClientRequest, MessagesToChat.
//
// Every input is refused (by ClientRequest, or by the translation with a message that starts
// with the field's path, given as `param`) or becomes a chat body that parses again as a
// client request for the upstream model, with the request's stream and token budget, a
// `messages` array of objects, and a size proportional to the request's.
@testable import RelayWire

private let upstreamModel = "Qwen/Qwen2.5-7B \"q\"\u{0}é"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMessagesRequest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let body = Array(UnsafeBufferPointer(start: data, count: size))
    guard let request = try? ClientRequest(body: body) else { return 0 }
    let chat: [UInt8]
    do {
        chat = try MessagesToChat.body(request, upstreamModel: upstreamModel)
    } catch {
        guard let param = error.param else { fail("a refusal without a param: \(error.message)") }
        check(
            error.message.hasPrefix("\(param): "),
            "the refusal \(error.message.debugDescription) does not name \(param)")
        return 0
    }
    let parsed: ClientRequest
    do {
        parsed = try ClientRequest(body: chat)
    } catch {
        fail("the chat body does not parse: \(error.message)")
    }
    check(parsed.model == upstreamModel, "the chat body's model is \(parsed.model.debugDescription)")
    check(parsed.stream == request.stream, "stream changed")
    check(parsed.includeUsage == request.stream, "a stream that does not ask for usage, or the reverse")
    check(parsed.maxTokens == request.maxTokens, "max_tokens changed")
    let messages = parsed.object.array("messages")
    check(messages?.isEmpty == false, "the chat body has no messages")
    for range in messages ?? [] {
        let message = try? JSONScanner.object(in: chat, range: range)
        check(message?.string("role") != nil, "a chat message without a role")
    }
    // Each block becomes a part or a message of about its own size; a tool's input, written
    // as a JSON string, at most doubles.
    check(chat.count <= 4 * body.count + 256, "the chat body is \(chat.count) bytes for a request of \(body.count)")
    return 0
}

private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fail(message()) }
}

private func fail(_ message: String) -> Never {
    fatalError("FuzzMessagesRequest: \(message)")
}
