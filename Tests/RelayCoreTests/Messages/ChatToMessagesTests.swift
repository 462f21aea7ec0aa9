import Foundation
import Testing

@testable import RelayWire

@Suite struct ChatToMessagesTests {
    private typealias Support = MessagesTestSupport

    private func message(_ answer: String) throws -> (body: String, usage: Usage?) {
        let (body, usage) = try ChatToMessages.message(Array(answer.utf8), alias: "claude-local")
        return (Support.text(body), usage)
    }

    private func brokenReason(_ answer: String) -> String? {
        do {
            _ = try ChatToMessages.message(Array(answer.utf8), alias: "claude-local")
            return nil
        } catch {
            return error.reason
        }
    }

    private static func answer(message: String, finish: String = "\"stop\"", extra: String = "") -> String {
        #"{"id":"chatcmpl-8f2a","object":"chat.completion","created":1736000000,"model":"Qwen/Qwen2.5-7B-Instruct","#
            + #""choices":[{"index":0,"message":\#(message),"logprobs":null,"finish_reason":\#(finish)\#(extra)}],"#
            + #""usage":{"prompt_tokens":25,"total_tokens":32,"completion_tokens":7}}"#
    }

    @Test func aTextAnswerBecomesAMessageUnderTheAlias() throws {
        let (body, usage) = try message(
            Self.answer(
                message:
                    #"{"role":"assistant","content":"Hello! \"Hi\" \u00e9","tool_calls":[],"reasoning_content":null}"#,
                extra: #","stop_reason":null"#))
        #expect(
            body
                == #"{"id":"msg_chatcmpl-8f2a","type":"message","role":"assistant","model":"claude-local","#
                + #""content":[{"type":"text","text":"Hello! \"Hi\" \u00e9"}],"stop_reason":"end_turn","#
                + #""stop_sequence":null,"usage":{"input_tokens":25,"output_tokens":7}}"#)
        #expect(usage == Usage(promptTokens: 25, completionTokens: 7))
    }

    @Test func toolCallsBecomeToolUseBlocksWithTheirInput() throws {
        let (body, _) = try message(
            Self.answer(
                message: #"{"role":"assistant","content":"Checking.","tool_calls":["#
                    + #"{"id":"chatcmpl-tool-1","type":"function","function":{"name":"get_weather","#
                    + #""arguments":"{\"city\": \"Paris\", \"days\": [1, 2]}"}},"#
                    + #"{"id":"chatcmpl-tool-2","type":"function","function":{"name":"get_time","arguments":""}}]}"#,
                finish: "\"tool_calls\""))
        #expect(
            body.contains(
                #""content":[{"type":"text","text":"Checking."},"#
                    + #"{"type":"tool_use","id":"chatcmpl-tool-1","name":"get_weather","#
                    + #""input":{"city": "Paris", "days": [1, 2]}},"#
                    + #"{"type":"tool_use","id":"chatcmpl-tool-2","name":"get_time","input":{}}],"#
                    + #""stop_reason":"tool_use","stop_sequence":null,"#))
    }

    @Test func aToolCallWithoutAnIdGetsOne() throws {
        let (body, _) = try message(
            Self.answer(
                message: #"{"role":"assistant","content":null,"tool_calls":[{"type":"function","#
                    + #""function":{"name":"f","arguments":{"a":1}}}]}"#, finish: "\"stop\""))
        let answer = try JSONScanner.object(in: Array(body.utf8))
        let block = try JSONScanner.object(in: answer.bytes, range: try #require(answer.array("content"))[0])
        let id = try #require(block.string("id"))
        #expect(id.hasPrefix("toolu_") && id.count == 30)
        #expect(block.object("input")?.int("a") == 1)
        // A server whose tool parser says `stop` after a call: the client still runs the tool.
        #expect(answer.string("stop_reason") == "tool_use")
    }

    @Test(arguments: [
        ("\"stop\"", "", "end_turn", "null"),
        ("\"stop\"", #","stop_reason":"\n\nHuman:""#, "stop_sequence", #""\n\nHuman:""#),
        ("\"stop\"", #","stop_reason":151645"#, "end_turn", "null"),
        ("\"length\"", "", "max_tokens", "null"),
        ("\"tool_calls\"", "", "tool_use", "null"),
        ("\"content_filter\"", "", "refusal", "null"),
        ("null", "", "end_turn", "null"),
        ("\"abort\"", "", "end_turn", "null"),
    ])
    func finishReasonsMapToStopReasons(_ finish: String, _ extra: String, _ reason: String, _ sequence: String)
        throws
    {
        let (body, _) = try message(
            Self.answer(message: #"{"role":"assistant","content":"x"}"#, finish: finish, extra: extra))
        #expect(body.contains(#""stop_reason":"\#(reason)","stop_sequence":\#(sequence),"#))
    }

    @Test func anEmptyAnswerHasNoBlocks() throws {
        let (body, _) = try message(Self.answer(message: #"{"role":"assistant","content":""}"#))
        #expect(body.contains(#""content":[],"#))
        let (null, _) = try message(Self.answer(message: #"{"role":"assistant","content":null}"#))
        #expect(null.contains(#""content":[],"#))
    }

    @Test func aRefusalIsTextWithTheRefusalStopReason() throws {
        let (body, _) = try message(
            Self.answer(message: #"{"role":"assistant","content":null,"refusal":"I can't help with that."}"#))
        #expect(
            body.contains(
                #""content":[{"type":"text","text":"I can't help with that."}],"stop_reason":"refusal","#))
    }

    @Test func anAnswerWithoutUsageSaysZeroAndReportsNone() throws {
        let answer = #"{"choices":[{"message":{"role":"assistant","content":"x"},"finish_reason":"stop"}]}"#
        let (body, usage) = try message(answer)
        #expect(usage == nil)
        #expect(body.hasSuffix(#""usage":{"input_tokens":0,"output_tokens":0}}"#))
        let id = try #require(try JSONScanner.object(in: Array(body.utf8)).string("id"))
        #expect(id.hasPrefix("msg_") && id.count == 28)
    }

    @Test(arguments: [
        (#"{"a":"#, "the answer is not a JSON object"),
        ("[]", "the answer is not a JSON object"),
        (#"{"error":{"message":"model qwen2.5-7b failed"}}"#, "the answer is an error"),
        (#"{"id":"x"}"#, "the answer has no choices"),
        (#"{"choices":[]}"#, "the answer has no choices"),
        (#"{"choices":[{"text":"legacy"}]}"#, "the answer's choice has no message"),
        (#"{"choices":[{"message":{"content":7}}]}"#, "the answer's message content is not a string"),
        (#"{"choices":[{"message":{"tool_calls":{}}}]}"#, "the answer's tool_calls is not an array"),
        (
            #"{"choices":[{"message":{"tool_calls":[{"function":{}}]}}]}"#,
            "the answer's tool call 0 has no function name"
        ),
        (
            #"{"choices":[{"message":{"tool_calls":[{"function":{"name":"f","arguments":"{\"a\":"}}]}}]}"#,
            "the answer's tool call 0 has arguments that are not a JSON object"
        ),
        (
            #"{"choices":[{"message":{"tool_calls":[{"function":{"name":"f","arguments":"[1]"}}]}}]}"#,
            "the answer's tool call 0 has arguments that are not a JSON object"
        ),
    ])
    func aBrokenAnswerIsAnError(_ answer: String, _ reason: String) {
        #expect(brokenReason(answer) == reason)
    }
}
