// An OpenAI chat stream turned into Anthropic's Messages stream: SSEFrameParser,
// MessagesStreamWriter; and the same bytes as a whole chat answer: ChatToMessages.
//
// The input is cut into reads where its own bytes say. Whatever it holds, the output is a
// sequence of `event: T\ndata: {...}\n\n` whose data is a JSON object of `type` T; the stream
// starts with `message_start` (at most one) or ends at once with an `error`; blocks open, take
// deltas and close in index order, one at a time; nothing follows `message_stop` or `error`,
// and once the body has ended the stream has ended with one of them. ChatToMessages either
// refuses the input with a reason or answers a JSON message.
import FuzzSupport

@testable import RelayWire

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMessagesStream(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    var parser = SSEFrameParser()
    var writer = MessagesStreamWriter(alias: "alias", upstreamModel: "up", promptEstimate: 7)
    var out: [UInt8] = []
    forEachPiece(of: bytes, cutEvery: pieceLengths(from: bytes)) { piece in
        for event in parser.append(piece) { writer.translate(event, into: &out) }
    }
    writer.finish(into: &out)
    check(writer.isFinished, "the stream is not finished after finish()")
    checkEvents(out, writer: writer)
    checkWholeAnswer(Array(bytes))
    return 0
}

private func checkEvents(_ out: [UInt8], writer: MessagesStreamWriter) {
    var rest = out[...]
    var names: [String] = []
    var openBlock: Int?
    var blocks = 0
    while !rest.isEmpty {
        check(rest.starts(with: "event: ".utf8), "an event that does not start with its name")
        guard let nameEnd = rest.firstIndex(of: UInt8(ascii: "\n")) else { fail("an event without data") }
        let name = String(decoding: rest[(rest.startIndex + 7)..<nameEnd], as: UTF8.self)
        rest = rest[(nameEnd + 1)...]
        check(rest.starts(with: "data: ".utf8), "event \(name) without data")
        guard let dataEnd = rest.firstIndex(of: UInt8(ascii: "\n")) else { fail("event \(name) is cut") }
        let data = Array(rest[(rest.startIndex + 6)..<dataEnd])
        rest = rest[(dataEnd + 1)...]
        check(rest.first == UInt8(ascii: "\n"), "event \(name) is not followed by a blank line")
        rest = rest.dropFirst()
        guard let object = try? JSONScanner.object(in: data) else { fail("event \(name)'s data is not a JSON object") }
        check(object.string("type") == name, "event \(name)'s data has type \(object.string("type") ?? "none")")
        check(names.last != "message_stop" && names.last != "error", "\(name) after the end")
        check(
            name == "message_start" ? names.isEmpty : (name == "error" || names.first == "message_start"),
            "\(name) where the stream must start with message_start")
        let index = object.int("index")
        switch name {
        case "content_block_start":
            check(openBlock == nil && index == blocks, "block \(index ?? -1) starts with \(blocks) started")
            openBlock = index
            blocks += 1
        case "content_block_delta":
            check(openBlock != nil && index == openBlock, "a delta for block \(index ?? -1), not the open one")
        case "content_block_stop":
            check(openBlock != nil && index == openBlock, "block \(index ?? -1) stops but is not open")
            openBlock = nil
        case "message_delta":
            check(openBlock == nil, "message_delta with a block open")
            check(object.object("usage")?.int("output_tokens") != nil, "message_delta without output_tokens")
        case "message_stop":
            check(names.last == "message_delta", "message_stop without message_delta")
        default:
            break
        }
        names.append(name)
    }
    check(names.last == "message_stop" || names.last == "error", "the stream ends with \(names.last ?? "nothing")")
    check(writer.sawError == (names.last == "error"), "sawError disagrees with the events")
}

private func checkWholeAnswer(_ bytes: [UInt8]) {
    do {
        let (body, _) = try ChatToMessages.message(bytes, alias: "alias")
        let message = try? JSONScanner.object(in: body)
        check(message?.string("type") == "message", "ChatToMessages wrote something that is not a message")
    } catch {
        check(!error.reason.isEmpty, "a broken answer without a reason")
    }
}

private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fail(message()) }
}

private func fail(_ message: String) -> Never {
    fatalError("FuzzMessagesStream: \(message)")
}
