// The Ollama stream translator: NDJSON lines from /api/chat or /api/generate in, OpenAI SSE out.
//
// The first input byte picks chat or completion and whether the client asked for usage; the
// rest is the upstream body. Whatever it holds:
// - the output does not depend on how the body is cut into reads;
// - the output is `data: ...` events, each a JSON object, or `[DONE]` once at the very end;
// - `[DONE]` is sent exactly when the translator says it saw Ollama's last line, and an error
//   event exactly when it says the stream failed; never both;
// - an error message never names the upstream model (the client only knows the alias).
@testable import FuzzedWire
@testable import RelayWire

private let upstreamModel = "hidden-upstream:7b"

private struct Translation: Equatable {
    var out: [UInt8] = []
    var sawDone = false
    var sawError = false
    var errorMessage: String?
    var usage: Usage?
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOllamaStream(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let mode = data[0]
    let body = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    let whole = translate(body, mode: mode, cutEvery: [body.count])
    let lengths = body.prefix(8).map { Int($0 % 24) + 1 }
    let pieces = translate(body, mode: mode, cutEvery: lengths.isEmpty ? [1] : lengths)
    check(whole == pieces, "the output depends on where the body is cut (pieces \(lengths))")
    checkEvents(of: whole)
    if let message = whole.errorMessage {
        check(!message.contains(upstreamModel), "an error message names the upstream model")
    }
    return 0
}

private func translate(_ body: UnsafeRawBufferPointer, mode: UInt8, cutEvery lengths: [Int]) -> Translation {
    var translator = OllamaStreamTranslator(
        kind: mode & 1 == 0 ? .chat : .completion,
        alias: "alias",
        upstreamModel: upstreamModel,
        clientWantsUsage: mode & 2 != 0,
        promptEstimate: 7,
        id: OpenAIResponseID(prefix: "chatcmpl-", random: "fuzz"),
        now: 1_700_000_000
    )
    var result = Translation()
    var start = 0
    var turn = 0
    while start < body.count {
        let end = min(body.count, start + max(1, lengths[turn % lengths.count]))
        translator.translate(UnsafeRawBufferPointer(rebasing: body[start..<end]), into: &result.out)
        start = end
        turn += 1
    }
    translator.finish(into: &result.out)
    result.sawDone = translator.sawDone
    result.sawError = translator.sawError
    result.errorMessage = translator.errorMessage
    result.usage = translator.usage
    return result
}

private func checkEvents(of translation: Translation) {
    check(!(translation.sawDone && translation.sawError), "both [DONE] and an error")
    var parser = SSEFrameParser()
    let events = translation.out.withUnsafeBytes { parser.append($0) }
    var sawDone = false
    var sawError = false
    for (index, event) in events.enumerated() {
        guard let data = event.data else { fail("an event without data") }
        check(!sawDone && !sawError, "an event after [DONE] or after an error event")
        if data == Array("[DONE]".utf8) {
            sawDone = true
            continue
        }
        guard let object = try? JSONScanner.object(in: data) else {
            fail("event \(index) is not a JSON object: \(String(decoding: data, as: UTF8.self))")
        }
        if object.member("error") != nil { sawError = true }
    }
    check(sawDone == translation.sawDone, "[DONE] sent: \(sawDone), translator says \(translation.sawDone)")
    check(sawError == translation.sawError, "error event: \(sawError), translator says \(translation.sawError)")
    check(translation.out.isEmpty || translation.out.suffix(2) == [10, 10], "the output ends inside an event")
}

private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fail(message()) }
}

private func fail(_ message: String) -> Never {
    fatalError("FuzzOllamaStream: \(message)")
}
