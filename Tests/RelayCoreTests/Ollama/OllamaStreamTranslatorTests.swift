import NIOCore
import Testing

@testable import RelayCore
@testable import RelayWire

@Suite struct OllamaStreamTranslatorTests {
    /// Ollama's documented chat stream, one compact JSON object a line as it sends them.
    static let chatStream = """
        {"model":"llama3.2","created_at":"2023-08-04T08:52:19.385406455-07:00","message":{"role":"assistant","content":"The","images":null},"done":false}
        {"model":"llama3.2","created_at":"2023-08-04T08:52:19.412345Z","message":{"role":"assistant","content":" sky \\"blue\\""},"done":false}
        {"model":"llama3.2","created_at":"2023-08-04T08:52:19.5Z","message":{"role":"assistant","content":""},"done":false}
        {"model":"llama3.2","created_at":"2023-08-04T19:22:45.499127Z","message":{"role":"assistant","content":""},"done_reason":"stop","done":true,"total_duration":4883583458,"load_duration":1334875,"prompt_eval_count":26,"prompt_eval_duration":342546000,"eval_count":282,"eval_duration":4535599000}

        """

    private static func chunk(_ choice: String, object: String = "chat.completion.chunk", id: String = "chatcmpl-test")
        -> String
    {
        "data: {\"id\":\"\(id)\",\"object\":\"\(object)\",\"created\":1691164339,\"model\":\"qwen2.5\",\"choices\":[\(choice)]}\n\n"
    }

    private static func delta(_ delta: String, finish: String = "null") -> String {
        chunk("{\"index\":0,\"delta\":\(delta),\"logprobs\":null,\"finish_reason\":\(finish)}")
    }

    private static let roleChunk = delta(#"{"role":"assistant","content":""}"#)

    private func translator(_ kind: OllamaStreamTranslator.Kind = .chat, usage: Bool = true) -> OllamaStreamTranslator {
        OllamaStreamTranslator(
            kind: kind, alias: "qwen2.5", upstreamModel: "qwen2.5:7b", clientWantsUsage: usage, promptEstimate: 11,
            id: kind == .chat ? OllamaTestSupport.chatID : OllamaTestSupport.completionID, now: 5)
    }

    /// Feeds `stream` in reads of the given sizes (cycled), then ends the body.
    private func run(
        _ stream: String,
        _ translator: inout OllamaStreamTranslator,
        readSizes: [Int] = [Int.max]
    ) -> String {
        let bytes = Array(stream.utf8)
        var out: [UInt8] = []
        var start = 0
        var read = 0
        while start < bytes.count {
            let size = min(readSizes[read % readSizes.count], bytes.count - start)
            translator.translate(ByteBuffer(bytes: bytes[start..<(start + size)]), into: &out)
            start += size
            read += 1
        }
        translator.finish(into: &out)
        return OllamaTestSupport.text(out)
    }

    @Test func chatStreamBecomesChunksThenUsageThenDone() {
        var translator = translator()
        let out = run(Self.chatStream, &translator)
        #expect(
            out
                == Self.roleChunk + Self.delta(#"{"content":"The"}"#) + Self.delta(#"{"content":" sky \"blue\""}"#)
                + Self.delta("{}", finish: "\"stop\"")
                + "data: {\"id\":\"chatcmpl-test\",\"object\":\"chat.completion.chunk\",\"created\":1691164339,"
                + "\"model\":\"qwen2.5\",\"choices\":[],\"usage\":{\"prompt_tokens\":26,\"completion_tokens\":282,"
                + "\"total_tokens\":308}}\n\n" + "data: [DONE]\n\n"
        )
        #expect(translator.sawDone)
        #expect(!translator.sawError)
        #expect(translator.usage == Usage(promptTokens: 26, completionTokens: 282))
    }

    @Test func usageChunkOnlyWhenAskedButAlwaysKnown() {
        var translator = translator(usage: false)
        let out = run(Self.chatStream, &translator)
        #expect(!out.contains("\"usage\""))
        #expect(out.hasSuffix(Self.delta("{}", finish: "\"stop\"") + "data: [DONE]\n\n"))
        #expect(translator.usage == Usage(promptTokens: 26, completionTokens: 282))
    }

    @Test(arguments: [[1], [2], [3], [7], [64], [1, 300], [5, 1, 17, 2]])
    func anyChunkingGivesTheSameOutput(_ readSizes: [Int]) {
        var whole = translator()
        let expected = run(Self.chatStream, &whole)
        var cut = translator()
        #expect(run(Self.chatStream, &cut, readSizes: readSizes) == expected)
        #expect(cut.usage == whole.usage)
    }

    @Test func randomChunkingsGiveTheSameOutput() {
        var whole = translator()
        let expected = run(Self.chatStream, &whole)
        var generator = SplitMix64(seed: 42)  // the same chunkings on every run
        for _ in 0..<50 {
            let sizes = (0..<8).map { _ in Int(generator.next() % 40) + 1 }
            var cut = translator()
            #expect(run(Self.chatStream, &cut, readSizes: sizes) == expected)
        }
    }

    @Test func errorLineMidStreamEndsWithAnErrorEventAndNoDone() {
        let stream = """
            {"model":"qwen2.5:7b","created_at":"2023-08-04T08:52:19.385406455-07:00","message":{"role":"assistant","content":"The"},"done":false}
            {"error":"an error was encountered while running the model qwen2.5:7b: unexpected EOF"}
            {"model":"qwen2.5:7b","created_at":"2023-08-04T19:22:45.499127Z","message":{"role":"assistant","content":"ignored"},"done":true}

            """
        var translator = translator()
        let out = run(stream, &translator, readSizes: [3])
        #expect(
            out
                == Self.roleChunk + Self.delta(#"{"content":"The"}"#)
                + #"data: {"error":{"message":"an error was encountered while running the model qwen2.5: unexpected EOF","#
                + #""type":"api_error","param":null,"code":"upstream_error"}}"# + "\n\n"
        )
        #expect(translator.sawError)
        #expect(translator.isFinished)
        #expect(!translator.sawDone)
        #expect(translator.errorMessage == "an error was encountered while running the model qwen2.5: unexpected EOF")
        #expect(translator.usage == Usage(promptTokens: 11, completionTokens: 1, estimated: true))
    }

    @Test func streamedToolCallsAreNumberedAcrossLinesAndFinishAsToolCalls() {
        let stream = """
            {"model":"qwen3","created_at":"2023-08-04T15:52:19.385406455Z","message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"get_current_weather","arguments":{"format":"celsius","location":"Toronto"}}}]},"done":false}
            {"model":"qwen3","created_at":"2023-08-04T15:52:19.4Z","message":{"role":"assistant","content":"","tool_calls":[{"id":"call_x","function":{"index":1,"name":"get_time","arguments":{}}}]},"done":false}
            {"model":"qwen3","created_at":"2023-08-04T15:52:20Z","message":{"role":"assistant","content":""},"done_reason":"stop","done":true,"prompt_eval_count":10,"eval_count":20}

            """
        var translator = translator(usage: false)
        let out = run(stream, &translator, readSizes: [11])
        #expect(
            out
                == Self.roleChunk
                + Self.delta(
                    #"{"tool_calls":[{"index":0,"id":"call_test_0","type":"function","function":{"name":"get_current_weather","#
                        + #""arguments":"{\"format\":\"celsius\",\"location\":\"Toronto\"}"}}]}"#)
                + Self.delta(
                    #"{"tool_calls":[{"index":1,"id":"call_x","type":"function","function":{"name":"get_time","arguments":"{}"}}]}"#
                )
                + Self.delta("{}", finish: "\"tool_calls\"") + "data: [DONE]\n\n"
        )
    }

    @Test func thinkingStreamsAsReasoningContent() {
        let stream =
            #"{"created_at":"2023-08-04T15:52:19Z","message":{"role":"assistant","content":"","thinking":"Hmm"},"done":false}"#
            + "\n" + #"{"message":{"role":"assistant","content":"4"},"done":true,"done_reason":"length"}"# + "\n"
        var translator = translator(usage: false)
        #expect(
            run(stream, &translator)
                == Self.roleChunk + Self.delta(#"{"reasoning_content":"Hmm"}"#) + Self.delta(#"{"content":"4"}"#)
                + Self.delta("{}", finish: "\"length\"") + "data: [DONE]\n\n"
        )
        #expect(translator.usage == Usage(promptTokens: 0, completionTokens: 0))
    }

    @Test func generateStreamBecomesTextCompletionChunks() {
        let stream = """
            {"model":"llama3.2","created_at":"2023-08-04T08:52:19.385406455-07:00","response":"The","done":false}\r
            {"model":"llama3.2","created_at":"2023-08-04T08:52:19.4-07:00","response":" end","done":false}\r
            {"model":"llama3.2","created_at":"2023-08-04T19:22:45.499127Z","response":"","done":true,"done_reason":"stop","context":[1,2,3],"prompt_eval_count":26,"eval_count":259}
            """
        func text(_ text: String, finish: String = "null") -> String {
            Self.chunk(
                "{\"text\":\(text),\"index\":0,\"logprobs\":null,\"finish_reason\":\(finish)}",
                object: "text_completion",
                id: "cmpl-test")
        }
        var translator = translator(.completion)
        #expect(
            run(stream, &translator, readSizes: [4])
                == text("\"The\"") + text("\" end\"") + text("\"\"", finish: "\"stop\"")
                + "data: {\"id\":\"cmpl-test\",\"object\":\"text_completion\",\"created\":1691164339,\"model\":\"qwen2.5\","
                + "\"choices\":[],\"usage\":{\"prompt_tokens\":26,\"completion_tokens\":259,\"total_tokens\":285}}\n\n"
                + "data: [DONE]\n\n"
        )
        #expect(translator.sawDone)
    }

    @Test func streamCutShortIsNotDoneAndSettlesOnAnEstimate() {
        var translator = translator()
        let out = run(
            #"{"created_at":"2023-08-04T08:52:19.385406455-07:00","message":{"role":"assistant","content":"abcdefghijkl"},"done":false}"#
                + "\n" + #"{"message":{"#,
            &translator)
        #expect(
            out == Self.roleChunk + Self.delta(#"{"content":"abcdefghijkl"}"#)
                + #"data: {"error":{"message":"the backend sent a stream line that is not a JSON object","type":"api_error","param":null,"code":"upstream_error"}}"#
                + "\n\n")
        #expect(!translator.sawDone)
        #expect(translator.usage == Usage(promptTokens: 11, completionTokens: 3, estimated: true))

        var unfinished = self.translator()
        var bytes: [UInt8] = []
        unfinished.translate(Array(#"{"message":{"role":"assistant","content":"x"},"done":false}"#.utf8), into: &bytes)
        #expect(bytes.isEmpty)
        #expect(unfinished.hasPartialLine)
        #expect(!unfinished.isFinished)
    }

    @Test func anErrorBeforeAnyChunkIsTheOnlyEvent() {
        var translator = translator()
        let out = run(#"{"error":"model requires more system memory (5.6 GiB) than is available"}"# + "\n", &translator)
        #expect(
            out
                == #"data: {"error":{"message":"model requires more system memory (5.6 GiB) than is available","#
                + #""type":"api_error","param":null,"code":"upstream_error"}}"# + "\n\n")
        #expect(translator.sawError)
    }
}
