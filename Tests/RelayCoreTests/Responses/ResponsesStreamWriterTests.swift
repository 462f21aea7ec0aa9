import NIOCore
import Testing

@testable import RelayWire

@Suite struct ResponsesStreamWriterTests {
    private typealias Support = ResponsesTestSupport

    /// A chunk as vLLM writes it (`model` the upstream's, `logprobs`, `stop_reason` at the end).
    private static func vllm(_ choice: String) -> String {
        #"data: {"id":"chatcmpl-8f2a","object":"chat.completion.chunk","created":1736000000,"#
            + #""model":"Qwen/Qwen2.5-7B-Instruct","choices":[\#(choice)]}"# + "\n\n"
    }

    private static func delta(_ delta: String, finish: String = "null") -> String {
        vllm(#"{"index":0,"delta":\#(delta),"logprobs":null,"finish_reason":\#(finish)}"#)
    }

    private static let usageChunk =
        #"data: {"id":"chatcmpl-8f2a","object":"chat.completion.chunk","created":1736000000,"#
        + #""model":"Qwen/Qwen2.5-7B-Instruct","choices":[],"#
        + #""usage":{"prompt_tokens":31,"total_tokens":40,"completion_tokens":9}}"# + "\n\n"

    private static let textPieces = ["Hello", ", \\\"world\\\"", " \\u00e9\\n", "!"]

    private static let textStream =
        delta(#"{"role":"assistant","content":""}"#)
        + textPieces.map { delta(#"{"content":"\#($0)"}"#) }.joined()
        + delta(#"{"content":""}"#, finish: #""stop""#)
        + usageChunk + "data: [DONE]\n\n"

    /// Two tool calls as llama-server streams them: each call's id and name, then its arguments in pieces.
    private static let argumentPieces = [["{\\\"city\\\":", " \\\"Paris\\\"}"], ["{\\\"tz\\\":\\\"UTC\\\"}"]]
    private static let toolStream =
        delta(#"{"role":"assistant","content":null}"#)
        + delta(
            #"{"tool_calls":[{"index":0,"id":"call_paris","type":"function","function":{"name":"weather","arguments":""}}]}"#
        )
        + argumentPieces[0].map { delta(#"{"tool_calls":[{"index":0,"function":{"arguments":"\#($0)"}}]}"#) }.joined()
        + delta(#"{"tool_calls":[{"index":1,"id":"call_now","type":"function","function":{"name":"now"}}]}"#)
        + argumentPieces[1].map { delta(#"{"tool_calls":[{"index":1,"function":{"arguments":"\#($0)"}}]}"#) }.joined()
        + delta("{}", finish: #""tool_calls""#)
        + usageChunk + "data: [DONE]\n\n"

    private static let request = #"{"model":"gpt-local","input":"Hi","stream":true,"instructions":"Be brief."}"#

    private func writer(promptEstimate: Int = 12) throws -> ResponsesStreamWriter {
        ResponsesStreamWriter(
            id: "resp_1", alias: "gpt-local", upstreamModel: "Qwen/Qwen2.5-7B-Instruct", createdAt: 1_736_000_000,
            promptEstimate: promptEstimate, request: try Support.request(Self.request))
    }

    /// Feeds `stream` through `SSEFrameParser` in reads of `readSize` bytes, then ends the body.
    private func run(
        _ stream: String,
        readSize: Int = .max,
        finish: Bool = true,
        writer: inout ResponsesStreamWriter
    ) -> [UInt8] {
        var parser = SSEFrameParser()
        var out: [UInt8] = []
        let bytes = Array(stream.utf8)
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + min(readSize, bytes.count))
            for event in parser.append(ByteBuffer(bytes: bytes[start..<end])) { writer.translate(event, into: &out) }
            start = end
        }
        if finish { writer.finish(into: &out) }
        return out
    }

    /// The events, after checking that their sequence numbers count from 0 by one.
    private func events(_ out: [UInt8]) -> [MessagesTestSupport.Event] {
        let events = MessagesTestSupport.events(out)
        #expect(events.map { $0.int("sequence_number") } == Array(0..<events.count))
        return events
    }

    /// The JSON text of the member `key` of `object`.
    private func json(of key: String, in object: JSONObject?) -> String? {
        guard let object, let member = object.member(key) else { return nil }
        return Support.text(Array(object.bytes[member.valueRange]))
    }

    /// The response object of an event, read.
    private func response(of event: MessagesTestSupport.Event?) throws -> JSONObject {
        try #require(event?.data.object("response"))
    }

    @Test func aTextAnswerStreamsAsResponsesEvents() throws {
        for readSize in [Int.max, 7, 1] {
            var writer = try writer()
            let events = events(run(Self.textStream, readSize: readSize, writer: &writer))
            #expect(
                events.map(\.name) == [
                    "response.created", "response.in_progress", "response.output_item.added",
                    "response.content_part.added",
                ] + Array(repeating: "response.output_text.delta", count: Self.textPieces.count) + [
                    "response.output_text.done", "response.content_part.done", "response.output_item.done",
                    "response.completed",
                ])
            let created = try response(of: events.first)
            #expect(created.string("status") == "in_progress")
            #expect(created.array("output")?.isEmpty == true)
            #expect(created.string("model") == "gpt-local")
            #expect(created.string("instructions") == "Be brief.")
            let itemID = try #require(events[2].string("item.id"))
            #expect(itemID.hasPrefix("msg_"))
            for event in events[3..<(events.count - 1)] where event.name != "response.output_item.done" {
                #expect(event.string("item_id") == itemID)
                #expect(event.int("output_index") == 0)
            }
            let deltas = events.filter { $0.name == "response.output_text.delta" }.compactMap { $0.string("delta") }
            let expectedText = "Hello, \"world\" é\n!"
            #expect(deltas.joined() == expectedText)
            #expect(events.first { $0.name == "response.output_text.done" }?.string("text") == expectedText)
            #expect(events.first { $0.name == "response.content_part.done" }?.string("part.text") == expectedText)

            let completed = try response(of: events.last)
            #expect(completed.string("status") == "completed")
            let usage = try #require(completed.object("usage"))
            #expect(
                usage.int("input_tokens") == 31 && usage.int("output_tokens") == 9 && usage.int("total_tokens") == 40)
            let output = Support.objects("output", in: completed)
            #expect(output.count == 1)
            #expect(output.first?.string("id") == itemID)
            #expect(Support.objects("content", in: try #require(output.first)).first?.string("text") == expectedText)
            #expect(writer.usage == Usage(promptTokens: 31, completionTokens: 9))
            #expect(writer.isFinished && !writer.sawError)
            // What the gateway stores: the response the last event carried, and its output.
            #expect(writer.finalResponse.map(Support.text) == json(of: "response", in: events.last?.data))
            #expect(Support.text(writer.outputItems) == json(of: "output", in: completed))
        }
    }

    @Test func toolCallsStreamAsFunctionCallItems() throws {
        var writer = try writer()
        let events = events(run(Self.toolStream, readSize: 13, writer: &writer))
        let oneCall = [
            "response.output_item.added", "response.function_call_arguments.delta",
        ]
        #expect(
            events.map(\.name) == ["response.created", "response.in_progress"]
                + oneCall + ["response.function_call_arguments.delta"]
                + ["response.function_call_arguments.done", "response.output_item.done"]
                + oneCall + ["response.function_call_arguments.done", "response.output_item.done"]
                + ["response.completed"])
        let added = events.filter { $0.name == "response.output_item.added" }
        #expect(added.map { $0.string("item.call_id") } == ["call_paris", "call_now"])
        #expect(added.map { $0.string("item.name") } == ["weather", "now"])
        #expect(added.map { $0.int("output_index") } == [0, 1])
        for (position, pieces) in Self.argumentPieces.enumerated() {
            let itemID = try #require(added[position].string("item.id"))
            #expect(itemID.hasPrefix("fc_"))
            let deltas = events.filter {
                $0.name == "response.function_call_arguments.delta" && $0.string("item_id") == itemID
            }
            let arguments = pieces.joined().replacingOccurrences("\\\"", "\"")
            #expect(deltas.compactMap { $0.string("delta") }.joined() == arguments)
            let done = events.first {
                $0.name == "response.function_call_arguments.done" && $0.string("item_id") == itemID
            }
            #expect(done?.string("arguments") == arguments)
        }
        let completed = try response(of: events.last)
        let output = Support.objects("output", in: completed)
        #expect(output.map { $0.string("type") } == ["function_call", "function_call"])
        #expect(output.map { $0.string("arguments") } == [#"{"city": "Paris"}"#, #"{"tz":"UTC"}"#])
        #expect(output.map { $0.string("status") } == ["completed", "completed"])
    }

    @Test func aLengthFinishEndsWithAnIncompleteResponse() throws {
        var writer = try writer()
        let stream =
            Self.delta(#"{"role":"assistant","content":"Once upon"}"#)
            + Self.delta(#"{"content":" a"}"#, finish: #""length""#) + Self.usageChunk + "data: [DONE]\n\n"
        let events = events(run(stream, writer: &writer))
        #expect(events.last?.name == "response.incomplete")
        let incomplete = try response(of: events.last)
        #expect(incomplete.string("status") == "incomplete")
        #expect(incomplete.object("incomplete_details")?.string("reason") == "max_output_tokens")
        #expect(Support.objects("output", in: incomplete).first?.string("status") == "incomplete")
        #expect(writer.isFinished && !writer.sawError)
    }

    @Test func anUpstreamErrorIsAFailedResponseScrubbedAndNothingFollows() throws {
        var writer = try writer()
        let stream =
            Self.delta(#"{"role":"assistant","content":"Hel"}"#)
            + #"data: {"error":{"message":"Qwen/Qwen2.5-7B-Instruct ran out of memory at /srv/models/qwen","#
            + #""type":"internal_error"}}"# + "\n\n" + Self.delta(#"{"content":"lo"}"#) + "data: [DONE]\n\n"
        let out = run(stream, writer: &writer)
        let events = events(out)
        #expect(events.last?.name == "response.failed")
        #expect(events.filter { $0.name == "response.failed" }.count == 1)
        let failed = try response(of: events.last)
        #expect(failed.string("status") == "failed")
        let error = try #require(failed.object("error"))
        #expect(error.string("code") == "server_error")
        let message = try #require(error.string("message"))
        #expect(message.contains("gpt-local"))
        #expect(!Support.text(out).contains("Qwen") && !message.contains("/srv/models"))
        #expect(writer.sawError && writer.isFinished)
    }

    @Test func aStreamCutOffBeforeItsFinishFailsAndOneWithoutDoneCompletes() throws {
        var cut = try writer()
        let cutEvents = events(run(Self.delta(#"{"role":"assistant","content":"Hel"}"#), writer: &cut))
        #expect(cutEvents.last?.name == "response.failed")
        #expect(cut.sawError)

        var noDone = try writer()
        let stream = Self.delta(#"{"content":"Hi"}"#, finish: #""stop""#)
        let doneEvents = events(run(stream, writer: &noDone))
        #expect(doneEvents.last?.name == "response.completed")
        // No usage chunk: the prompt estimate and an estimate of the text, said as the usage.
        #expect(noDone.usage == Usage(promptTokens: 12, completionTokens: 1, estimated: true))
        #expect(try response(of: doneEvents.last).object("usage")?.int("input_tokens") == 12)
    }
}

extension String {
    fileprivate func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
