import NIOCore
import Testing

@testable import RelayWire

@Suite struct MessagesStreamWriterTests {
    private typealias Support = MessagesTestSupport

    /// A chunk as vLLM writes it (`model` the upstream's, `logprobs`, `stop_reason` at the end).
    private static func vllm(_ choice: String, id: String = "chatcmpl-8f2a") -> String {
        #"data: {"id":"\#(id)","object":"chat.completion.chunk","created":1736000000,"#
            + #""model":"Qwen/Qwen2.5-7B-Instruct","choices":[\#(choice)]}"# + "\n\n"
    }

    private static func delta(_ delta: String, finish: String = "null", extra: String = "") -> String {
        vllm(#"{"index":0,"delta":\#(delta),"logprobs":null,"finish_reason":\#(finish)\#(extra)}"#)
    }

    private static let usageChunk =
        #"data: {"id":"chatcmpl-8f2a","object":"chat.completion.chunk","created":1736000000,"#
        + #""model":"Qwen/Qwen2.5-7B-Instruct","choices":[],"#
        + #""usage":{"prompt_tokens":31,"total_tokens":40,"completion_tokens":9}}"# + "\n\n"

    private static let textPieces = ["Hello", ", \\\"world\\\"", " \\u00e9\\n", "!"]

    /// A text answer as vLLM streams it: the role chunk, the text, the finish, the usage, `[DONE]`.
    private static let textStream =
        delta(#"{"role":"assistant","content":""}"#)
        + textPieces.map { delta(#"{"content":"\#($0)"}"#) }.joined()
        + delta(#"{"content":""}"#, finish: #""stop""#, extra: #","stop_reason":null"#)
        + usageChunk + "data: [DONE]\n\n"

    /// Feeds `stream` through `SSEFrameParser` in reads of `readSize` bytes, then ends the body.
    private func run(
        _ stream: String,
        readSize: Int = .max,
        finish: Bool = true,
        writer: inout MessagesStreamWriter
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

    private func writer(promptEstimate: Int = 12) -> MessagesStreamWriter {
        MessagesStreamWriter(
            alias: "claude-local", upstreamModel: "Qwen/Qwen2.5-7B-Instruct", promptEstimate: promptEstimate)
    }

    @Test func aTextAnswerStreamsAsAnthropicEvents() {
        var writer = writer()
        let out = run(Self.textStream, writer: &writer)
        let expected =
            "event: message_start\n"
            + #"data: {"type":"message_start","message":{"id":"msg_chatcmpl-8f2a","type":"message","#
            + #""role":"assistant","model":"claude-local","content":[],"stop_reason":null,"stop_sequence":null,"#
            + #""usage":{"input_tokens":12,"output_tokens":0}}}"# + "\n\n"
            + "event: ping\n" + #"data: {"type":"ping"}"# + "\n\n"
            + "event: content_block_start\n"
            + #"data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"# + "\n\n"
            + Self.textPieces.map {
                "event: content_block_delta\n"
                    + #"data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"\#($0)"}}"#
                    + "\n\n"
            }.joined()
            + "event: content_block_stop\n" + #"data: {"type":"content_block_stop","index":0}"# + "\n\n"
            + "event: message_delta\n"
            + #"data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"#
            + #""usage":{"input_tokens":31,"output_tokens":9}}"# + "\n\n"
            + "event: message_stop\n" + #"data: {"type":"message_stop"}"# + "\n\n"
        #expect(Support.text(out) == expected)
        let text = Support.events(out).compactMap { $0.string("delta.text") }.joined()
        #expect(text == "Hello, \"world\" é\n!")
        #expect(writer.isFinished && writer.sawStop && !writer.sawError)
        #expect(writer.usage == Usage(promptTokens: 31, completionTokens: 9))
    }

    @Test(arguments: [1, 2, 5, 13, 64])
    func theEventsDoNotDependOnHowReadsCutTheStream(_ readSize: Int) {
        var whole = writer()
        let expected = run(Self.textStream, writer: &whole)
        var cut = writer()
        #expect(run(Self.textStream, readSize: readSize, writer: &cut) == expected)
        #expect(cut.usage == whole.usage)
    }

    /// A tool call as llama-server streams it: the id and name with empty arguments, then the
    /// arguments in pieces, then `tool_calls`, then the usage chunk.
    @Test func aStreamedToolCallBecomesAToolUseBlock() {
        let pieces = [#"{\""#, #"location\":"#, #" \"Paris, France\""#, #", \"unit\": \"c\"}"#]
        func chunk(_ choice: String) -> String {
            #"data: {"choices":[\#(choice)],"created":1736000000,"id":"chatcmpl-llama","#
                + #""model":"qwen2.5-7b-instruct-q4_k_m.gguf","system_fingerprint":"b5000-aa1","#
                + #""object":"chat.completion.chunk"}"# + "\n\n"
        }
        let stream =
            chunk(#"{"finish_reason":null,"index":0,"delta":{"role":"assistant","content":null}}"#)
            + chunk(
                #"{"finish_reason":null,"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_Xy7","#
                    + #""type":"function","function":{"name":"get_weather","arguments":""}}]}}"#)
            + pieces.map {
                chunk(
                    #"{"finish_reason":null,"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\#($0)"}}]}}"#
                )
            }.joined()
            + chunk(#"{"finish_reason":"tool_calls","index":0,"delta":{}}"#)
            + #"data: {"choices":[],"created":1736000000,"id":"chatcmpl-llama","model":"m","#
            + #""object":"chat.completion.chunk","usage":{"completion_tokens":21,"prompt_tokens":180,"total_tokens":201}}"#
            + "\n\ndata: [DONE]\n\n"
        var writer = writer()
        let events = Support.events(run(stream, writer: &writer))
        #expect(
            events.map(\.name) == [
                "message_start", "ping", "content_block_start", "content_block_delta", "content_block_delta",
                "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop",
            ])
        #expect(
            events[2].json
                == #"{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"call_Xy7","#
                + #""name":"get_weather","input":{}}}"#)
        #expect(
            events[3].json.hasPrefix(#"{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","#))
        let json = events.compactMap { $0.string("delta.partial_json") }.joined()
        #expect(json == #"{"location": "Paris, France", "unit": "c"}"#)
        #expect(events[8].string("delta.stop_reason") == "tool_use")
        #expect(events[8].int("usage.output_tokens") == 21)
        #expect(events[8].int("usage.input_tokens") == 180)
        #expect(writer.usage == Usage(promptTokens: 180, completionTokens: 21))
    }

    /// Text, then two calls in one answer as vLLM streams them (the second under `index` 1):
    /// three blocks, numbered in order, each closed before the next opens.
    @Test func textThenParallelToolCallsAreBlocksInOrder() {
        let stream =
            Self.delta(#"{"role":"assistant","content":""}"#)
            + Self.delta(#"{"content":"Checking both."}"#)
            + Self.delta(
                #"{"tool_calls":[{"id":"chatcmpl-tool-a","type":"function","index":0,"function":{"name":"get_weather"}}]}"#
            )
            + Self.delta(#"{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\": \"Paris\"}"}}]}"#)
            + Self.delta(
                #"{"tool_calls":[{"id":"chatcmpl-tool-b","type":"function","index":1,"function":{"name":"get_time","#
                    + #""arguments":"{}"}}]}"#)
            + Self.delta(#"{"content":""}"#, finish: #""tool_calls""#, extra: #","stop_reason":null"#)
            + "data: [DONE]\n\n"
        var writer = writer()
        let events = Support.events(run(stream, writer: &writer))
        #expect(
            events.map { "\($0.name) \($0.int("index").map(String.init) ?? "-")" } == [
                "message_start -", "ping -",
                "content_block_start 0", "content_block_delta 0", "content_block_stop 0",
                "content_block_start 1", "content_block_delta 1", "content_block_stop 1",
                "content_block_start 2", "content_block_delta 2", "content_block_stop 2",
                "message_delta -", "message_stop -",
            ])
        #expect(events[5].string("content_block.id") == "chatcmpl-tool-a")
        #expect(events[6].string("delta.partial_json") == #"{"city": "Paris"}"#)
        #expect(events[8].string("content_block.name") == "get_time")
        #expect(events[11].string("delta.stop_reason") == "tool_use")
        // No usage chunk: the prompt estimate and an estimate of the output.
        #expect(events[11].int("usage.input_tokens") == 12)
        #expect(writer.usage.estimated)
        #expect(writer.usage.promptTokens == 12)
        // The output's bytes as sent (escapes included), about four a token.
        let outputBytes = "Checking both.".utf8.count + #"{\"city\": \"Paris\"}"#.utf8.count + "{}".utf8.count
        #expect(writer.usage.completionTokens == TokenEstimate.tokens(forBytes: outputBytes))
    }

    /// Servers that number every call 0 tell calls apart by their ids.
    @Test func aNewIdAtTheSameIndexIsANewCall() {
        let stream =
            Self.delta(#"{"tool_calls":[{"index":0,"id":"a","function":{"name":"f","arguments":"{}"}}]}"#)
            + Self.delta(#"{"tool_calls":[{"index":0,"id":"b","function":{"name":"g","arguments":"{}"}}]}"#)
            + Self.delta("{}", finish: #""tool_calls""#) + "data: [DONE]\n\n"
        var writer = writer()
        let starts = Support.events(run(stream, writer: &writer)).filter { $0.name == "content_block_start" }
        #expect(starts.map { $0.string("content_block.id") } == ["a", "b"])
        #expect(starts.map { $0.int("index") } == [0, 1])
    }

    @Test func aStopSequenceIsReported() {
        let stream =
            Self.delta(#"{"content":"Hi"}"#) + Self.delta("{}", finish: #""stop""#, extra: #","stop_reason":"END""#)
            + "data: [DONE]\n\n"
        var writer = writer()
        let last = Support.events(run(stream, writer: &writer)).filter { $0.name == "message_delta" }
        #expect(
            last.first?.json.hasPrefix(
                #"{"type":"message_delta","delta":{"stop_reason":"stop_sequence","stop_sequence":"END"}"#) == true)
    }

    @Test func anUpstreamErrorEndsTheStreamScrubbed() {
        let stream =
            Self.delta(#"{"content":"Hel"}"#)
            + #"data: {"error":{"object":"error","message":"qwen/qwen2.5-7b-instruct at http://10.0.0.5:8000/v1 ran out of KV cache","#
            + #""type":"InternalServerError","code":500}}"# + "\n\n"
            + Self.delta(#"{"content":"lo"}"#) + "data: [DONE]\n\n"
        var writer = writer()
        let events = Support.events(run(stream, writer: &writer))
        #expect(
            events.map(\.name) == ["message_start", "ping", "content_block_start", "content_block_delta", "error"])
        #expect(
            events.last?.json
                == #"{"type":"error","error":{"type":"api_error","message":"claude-local at [redacted] ran out of KV cache"}}"#
        )
        #expect(writer.sawError && writer.isFinished && !writer.sawStop)
        #expect(writer.usage == Usage(promptTokens: 12, completionTokens: 1, estimated: true))
    }

    @Test func anEventThatIsNotJSONEndsTheStream() {
        var writer = writer()
        let events = Support.events(run(Self.delta(#"{"content":"a"}"#) + "data: {oops\n\n", writer: &writer))
        #expect(events.last?.string("error.message") == "The upstream sent a stream event that is not JSON.")
        #expect(writer.sawError)
    }

    @Test func aStreamCutBeforeItsEndIsAnError() {
        var writer = writer()
        let events = Support.events(run(Self.delta(#"{"content":"Hel"}"#), writer: &writer))
        #expect(events.last?.name == "error")
        #expect(events.last?.string("error.message") == "The upstream's stream ended before the answer was complete.")
        #expect(!events.contains { $0.name == "message_stop" })
        #expect(writer.sawError)
    }

    /// A server that sends its usage after the finish and no `[DONE]`: the message is whole, and
    /// its end waits for the body's end so the usage is in it.
    @Test func aFinishedStreamWithoutDoneIsClosedWithItsUsage() {
        var writer = writer()
        let stream = Self.delta(#"{"content":"Hi"}"#) + Self.delta("{}", finish: #""length""#) + Self.usageChunk
        let unfinished = Support.events(run(stream, finish: false, writer: &writer))
        #expect(!unfinished.contains { $0.name == "message_delta" })
        var out: [UInt8] = []
        writer.finish(into: &out)
        let end = Support.events(out)
        #expect(end.map(\.name) == ["message_delta", "message_stop"])
        #expect(end[0].string("delta.stop_reason") == "max_tokens")
        #expect(end[0].int("usage.output_tokens") == 9)
        #expect(writer.sawStop && !writer.sawError)
    }

    @Test func nothingFollowsTheEnd() {
        var writer = writer()
        var out = run(Self.textStream, writer: &writer)
        let count = out.count
        writer.translate(
            SSEFrameParser.Event(data: Array(#"{"choices":[{"delta":{"content":"late"}}]}"#.utf8)), into: &out)
        writer.finish(into: &out)
        #expect(out.count == count)
    }

    @Test func anEmptyStreamIsAnEmptyMessage() {
        var writer = writer()
        let events = Support.events(run("data: [DONE]\n\n", writer: &writer))
        #expect(events.map(\.name) == ["message_start", "ping", "message_delta", "message_stop"])
        #expect(events[0].string("message.id")?.hasPrefix("msg_") == true)
    }

    @Test func moreOfAToolCallAfterItEndedIsAnError() {
        let stream =
            Self.delta(#"{"tool_calls":[{"index":0,"id":"a","function":{"name":"f","arguments":"{"}}]}"#)
            + Self.delta(#"{"content":"text between"}"#)
            + Self.delta(#"{"tool_calls":[{"index":0,"function":{"arguments":"}"}}]}"#)
        var writer = writer()
        let events = Support.events(run(stream, writer: &writer))
        #expect(events.last?.string("error.message") == "The upstream sent more of a tool call after it had ended.")
    }

    @Test func aToolCallWithoutANameIsAnError() {
        var writer = writer()
        let events = Support.events(
            run(Self.delta(#"{"tool_calls":[{"index":0,"id":"a","function":{"arguments":"{}"}}]}"#), writer: &writer))
        #expect(events.last?.string("error.message") == "The upstream started a tool call without a name.")
    }

    @Test func reasoningIsCountedButNotSent() {
        let stream =
            Self.delta(#"{"reasoning_content":"Let me think about this."}"#) + Self.delta(#"{"content":"4"}"#)
            + Self.delta("{}", finish: #""stop""#) + "data: [DONE]\n\n"
        var writer = writer()
        let out = Support.text(run(stream, writer: &writer))
        #expect(!out.contains("think"))
        #expect(writer.usage.completionTokens == TokenEstimate.tokens(forBytes: "Let me think about this.4".utf8.count))
    }
}
