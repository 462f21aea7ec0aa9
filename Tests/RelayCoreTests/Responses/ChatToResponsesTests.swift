import Testing

@testable import RelayWire

@Suite struct ChatToResponsesTests {
    private typealias Support = ResponsesTestSupport

    /// A chat completion as vLLM writes it.
    private static func answer(
        message: String,
        finish: String = "stop",
        usage: String = #","usage":{"prompt_tokens":31,"total_tokens":40,"completion_tokens":9}"#
    ) -> [UInt8] {
        Array(
            (#"{"id":"chatcmpl-8f2a","object":"chat.completion","created":1736000000,"#
                + #""model":"Qwen/Qwen2.5-7B-Instruct","choices":[{"index":0,"message":\#(message),"#
                + #""logprobs":null,"finish_reason":"\#(finish)","stop_reason":null}]\#(usage)}"#).utf8)
    }

    private static let plainRequest = #"{"model":"gpt-local","input":"Hi"}"#

    private func translate(
        _ answer: [UInt8],
        request: String = plainRequest
    ) throws -> (body: String, usage: Usage?, outputItems: String) {
        let result = try ChatToResponses.response(
            answer, id: "resp_1", alias: "gpt-local", createdAt: 1_736_000_000, request: Support.request(request))
        return (Support.text(result.body), result.usage, Support.text(result.outputItems))
    }

    @Test func aTextAnswerIsACompletedResponseWithOneMessageAndTheUsage() throws {
        let (body, usage, items) = try translate(
            Self.answer(message: #"{"role":"assistant","content":"Hello, \"world\" \u00e9","tool_calls":[]}"#))
        let item =
            #"{"type":"message","id":"msg_ID","status":"completed","role":"assistant","#
            + #""content":[{"type":"output_text","text":"Hello, \"world\" \u00e9","annotations":[]}]}"#
        #expect(
            Support.masked(body)
                == #"{"id":"resp_1","object":"response","created_at":1736000000,"status":"completed","error":null,"#
                + #""incomplete_details":null,"model":"gpt-local","output":[\#(item)],"instructions":null,"#
                + #""max_output_tokens":null,"parallel_tool_calls":true,"previous_response_id":null,"#
                + #""reasoning":{"effort":null,"summary":null},"store":true,"temperature":null,"#
                + #""text":{"format":{"type":"text"}},"tool_choice":"auto","tools":[],"top_p":null,"#
                + #""truncation":"disabled","metadata":{},"usage":{"input_tokens":31,"#
                + #""input_tokens_details":{"cached_tokens":0,"cache_write_tokens":0},"output_tokens":9,"#
                + #""output_tokens_details":{"reasoning_tokens":0},"total_tokens":40}}"#)
        #expect(usage == Usage(promptTokens: 31, completionTokens: 9))
        #expect(Support.masked(items) == "[\(item)]")
    }

    @Test func theRequestsSettingsAreEchoed() throws {
        let request =
            #"{"model":"gpt-local","input":"Hi","instructions":"Be brief.","max_output_tokens":64,"temperature":0.5,"#
            + #""top_p":0.9,"tools":[{"type":"function","name":"f","parameters":{}}],"tool_choice":"required","#
            + #""parallel_tool_calls":false,"text":{"format":{"type":"json_object"}},"metadata":{"k":"v"},"#
            + #""previous_response_id":"resp_0","store":false,"user":"u-1"}"#
        let (body, _, _) = try translate(
            Self.answer(message: #"{"role":"assistant","content":"{}"}"#), request: request)
        let object = try JSONScanner.object(in: Array(body.utf8))
        #expect(object.string("instructions") == "Be brief.")
        #expect(object.int("max_output_tokens") == 64)
        #expect(object.string("tool_choice") == "required")
        #expect(object.bool("parallel_tool_calls") == false)
        #expect(object.string("previous_response_id") == "resp_0")
        #expect(object.bool("store") == false)
        #expect(object.string("user") == "u-1")
        #expect(object.object("metadata")?.string("k") == "v")
        #expect(object.object("text")?.object("format")?.string("type") == "json_object")
        #expect(Support.objects("tools", in: object).first?.string("name") == "f")
        #expect(body.contains(#""temperature":0.5,"#) && body.contains(#""top_p":0.9,"#))
    }

    @Test func toolCallsAreFunctionCallItemsWithTheUpstreamsCallIDs() throws {
        let (body, _, items) = try translate(
            Self.answer(
                message: #"{"role":"assistant","content":null,"tool_calls":[{"id":"chatcmpl-tool-1","type":"function","#
                    + #""function":{"name":"weather","arguments":"{\"city\": \"Paris\"}"}},"#
                    + #"{"type":"function","function":{"name":"now","arguments":{"tz":"UTC"}}}]}"#,
                finish: "tool_calls"))
        #expect(body.contains(#""status":"completed""#))
        #expect(
            Support.masked(items)
                == #"[{"type":"function_call","id":"fc_ID","status":"completed","call_id":"chatcmpl-tool-1","#
                + #""name":"weather","arguments":"{\"city\": \"Paris\"}"},"#
                + #"{"type":"function_call","id":"fc_ID","status":"completed","call_id":"call_ID","#
                + #""name":"now","arguments":"{\"tz\":\"UTC\"}"}]"#)
    }

    @Test func aLengthFinishIsAnIncompleteResponse() throws {
        let (body, _, items) = try translate(
            Self.answer(message: #"{"role":"assistant","content":"Once upon a"}"#, finish: "length"))
        #expect(
            body.contains(#""status":"incomplete","error":null,"incomplete_details":{"reason":"max_output_tokens"}"#))
        #expect(items.contains(#""status":"incomplete""#))
    }

    @Test func anAnswerWithoutUsageSaysNullAndReturnsNone() throws {
        let (body, usage, _) = try translate(Self.answer(message: #"{"role":"assistant","content":"Hi"}"#, usage: ""))
        #expect(usage == nil)
        #expect(body.hasSuffix(#""usage":null}"#))
    }

    @Test func anEmptyAnswerHasAnEmptyMessageAndARefusalIsARefusalPart() throws {
        let (_, _, empty) = try translate(Self.answer(message: #"{"role":"assistant","content":null}"#))
        #expect(empty.contains(#""content":[{"type":"output_text","text":"","annotations":[]}]"#))
        let (_, _, refused) = try translate(
            Self.answer(message: #"{"role":"assistant","content":null,"refusal":"I can't help with that."}"#))
        #expect(refused.contains(#""content":[{"type":"refusal","refusal":"I can't help with that."}]"#))
    }

    @Test(arguments: [
        #"not json"#, #"{"error":{"message":"boom"}}"#, #"{"choices":[]}"#, #"{"choices":[{"index":0}]}"#,
        #"{"choices":[{"message":{"content":5}}]}"#, #"{"choices":[{"message":{"tool_calls":[{"function":{}}]}}]}"#,
    ])
    func aBrokenAnswerIsAnErrorWithAReason(answer: String) throws {
        #expect(throws: ChatToResponsesError.self) { try translate(Array(answer.utf8)) }
    }
}
