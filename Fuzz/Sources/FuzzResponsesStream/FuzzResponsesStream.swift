// An OpenAI chat stream turned into OpenAI's Responses stream: SSEFrameParser,
// ResponsesStreamWriter; and the same bytes as a whole chat answer: ChatToResponses.
//
// The input is cut into reads where its own bytes say. Whatever it holds, the output is a
// sequence of `event: T\ndata: {...}\n\n` whose data is a JSON object of `type` T and a
// `sequence_number` one more than the last, from 0; it starts with `response.created` and
// `response.in_progress`; items are added, take deltas and are done one at a time, numbered by
// `output_index` in order; nothing follows `response.completed`, `response.incomplete` or
// `response.failed`, and once the body has ended the stream has ended with one of them, whose
// response is the writer's `finalResponse` and (unless it failed) whose output is the writer's
// `outputItems`. ChatToResponses either refuses the input with a reason or answers a JSON
// response.
//
// The same bytes as a Responses stream passed through (ResponsesStreamRelay): the output is
// again named events of JSON data whose `type` is the name, nothing follows the end or an
// error, and a relay that saw the end holds a final response with the alias.
import FuzzSupport

@testable import RelayWire

private let request = try! ClientRequest(
    body: Array(#"{"model":"alias","input":"Hi","stream":true,"instructions":"Be brief."}"#.utf8))
private let terminal: Set<String> = ["response.completed", "response.incomplete", "response.failed"]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzResponsesStream(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    var parser = SSEFrameParser()
    var writer = ResponsesStreamWriter(
        id: "resp_1", alias: "alias", upstreamModel: "up", createdAt: 1, promptEstimate: 7, request: request)
    var out: [UInt8] = []
    forEachPiece(of: bytes, cutEvery: pieceLengths(from: bytes)) { piece in
        for event in parser.append(piece) { writer.translate(event, into: &out) }
    }
    writer.finish(into: &out)
    check(writer.isFinished, "the stream is not finished after finish()")
    checkEvents(out, writer: writer)
    checkWholeAnswer(Array(bytes))
    checkPassthrough(bytes)
    return 0
}

private func checkPassthrough(_ bytes: UnsafeRawBufferPointer) {
    var parser = SSEFrameParser()
    var relay = ResponsesStreamRelay(alias: "alias", upstreamModel: "up", promptEstimate: 7)
    var out: [UInt8] = []
    var endedAt: Int?
    forEachPiece(of: bytes, cutEvery: pieceLengths(from: bytes)) { piece in
        for event in parser.append(piece) {
            relay.translate(event, into: &out)
            if endedAt == nil, relay.sawEnd || relay.sawError { endedAt = out.count }
        }
    }
    check(endedAt == nil || endedAt == out.count, "the passthrough sent events after its end")
    var rest = out[...]
    while !rest.isEmpty {
        guard rest.starts(with: "event: ".utf8), let nameEnd = rest.firstIndex(of: UInt8(ascii: "\n")) else {
            fail("a passed-through event that does not start with its name")
        }
        let name = String(decoding: rest[(rest.startIndex + 7)..<nameEnd], as: UTF8.self)
        rest = rest[(nameEnd + 1)...]
        guard rest.starts(with: "data: ".utf8), let dataEnd = rest.firstIndex(of: UInt8(ascii: "\n")) else {
            fail("passed-through event \(name) without data")
        }
        let data = Array(rest[(rest.startIndex + 6)..<dataEnd])
        rest = rest[(dataEnd + 1)...]
        check(rest.first == UInt8(ascii: "\n"), "passed-through event \(name) is not followed by a blank line")
        rest = rest.dropFirst()
        let object = try? JSONScanner.object(in: data)
        check(object?.string("type") == name, "a passed-through event named \(name) unlike its data's type")
    }
    if relay.sawEnd {
        guard let final = relay.finalResponse, let response = try? JSONScanner.object(in: final) else {
            fail("an ended passthrough without its final response")
        }
        check(response.member("model") == nil || response.string("model") == "alias", "the final response's model")
    }
}

private func checkEvents(_ out: [UInt8], writer: ResponsesStreamWriter) {
    var rest = out[...]
    var names: [String] = []
    var openItem: String?
    var itemsDone = 0
    var lastResponse: ArraySlice<UInt8>?
    var lastOutput: ArraySlice<UInt8>?
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
        check(object.int("sequence_number") == names.count, "event \(name) is not number \(names.count)")
        check(names.last.map { !terminal.contains($0) } ?? true, "\(name) after the end")
        if names.count < 2 {
            check(name == ["response.created", "response.in_progress"][names.count], "the stream starts with \(name)")
        }
        let index = object.int("output_index")
        switch name {
        case "response.output_item.added":
            check(openItem == nil && index == itemsDone, "item \(index ?? -1) added with \(itemsDone) done")
            openItem = object.object("item")?.string("id")
            check(openItem != nil, "an item added without an id")
        case "response.output_item.done":
            check(openItem != nil && index == itemsDone, "item \(index ?? -1) done but not open")
            check(object.object("item")?.string("id") == openItem, "an item done under another id")
            openItem = nil
            itemsDone += 1
        case "response.created", "response.in_progress":
            break
        case _ where terminal.contains(name):
            check(openItem == nil || name == "response.failed", "\(name) with an item open")
            guard let response = object.member("response"), let read = object.object("response") else {
                fail("\(name) without a response")
            }
            lastResponse = data[response.valueRange]
            lastOutput = read.member("output").map { data[$0.valueRange] }
            check(read.array("output")?.count == itemsDone, "\(name)'s output is not the items done")
        default:
            check(openItem != nil && index == itemsDone, "\(name) for item \(index ?? -1), not the open one")
            check(object.string("item_id") == openItem, "\(name) for another item than the open one")
        }
        names.append(name)
    }
    guard let last = names.last, terminal.contains(last) else {
        fail("the stream ends with \(names.last ?? "nothing")")
    }
    check(writer.sawError == (last == "response.failed"), "sawError disagrees with the events")
    check(writer.finalResponse.map { $0[...] } == lastResponse, "the final response is not the last event's")
    check(writer.outputItems[...] == lastOutput, "the output items are not the final response's output")
}

private func checkWholeAnswer(_ bytes: [UInt8]) {
    do {
        let answer = try ChatToResponses.response(bytes, id: "resp_1", alias: "alias", createdAt: 1, request: request)
        let response = try? JSONScanner.object(in: answer.body)
        check(response?.string("object") == "response", "ChatToResponses wrote something that is not a response")
        check(
            (try? JSONScanner.arrayElements(in: answer.outputItems, range: 0..<answer.outputItems.count)) != nil,
            "the output items are not an array")
    } catch {
        check(!error.reason.isEmpty, "a broken answer without a reason")
    }
}

private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fail(message()) }
}

private func fail(_ message: String) -> Never {
    fatalError("FuzzResponsesStream: \(message)")
}
