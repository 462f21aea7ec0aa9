import NIOCore
import Testing

@testable import RelayWire

@Suite struct ResponsesConversationTests {
    private typealias Support = ResponsesTestSupport

    private static let tools =
        #""tools":[{"type":"function","name":"weather","parameters":{"type":"object","#
        + #""properties":{"city":{"type":"string"}}}}]"#

    /// One turn: the chat body Relay sends for `json` after `history`, the answer `chatAnswer`
    /// translated back, and the history stored for the next turn.
    private func turn(
        _ json: String,
        history: [UInt8]?,
        chatAnswer: String
    ) throws -> (chat: String, response: String, history: [UInt8]) {
        let request = try Support.request(json)
        let chatBody = try ResponsesToChat.body(request, history: history, upstreamModel: "qwen2.5-7b")
        let answer = try ChatToResponses.response(
            Array(chatAnswer.utf8), id: "resp_x", alias: "gpt-local", createdAt: 1, request: request)
        let next = try #require(
            ResponsesConversation.history(chatBody: chatBody, request: request, outputItems: answer.outputItems))
        return (Support.text(chatBody), Support.text(answer.body), next)
    }

    private static func answer(_ message: String, finish: String) -> String {
        #"{"id":"c","choices":[{"index":0,"message":\#(message),"finish_reason":"\#(finish)"}],"#
            + #""usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}}"#
    }

    @Test func aFunctionCallRoundTripContinuesThroughTheStoredHistory() throws {
        let first = try turn(
            #"{"model":"gpt-local","instructions":"Be brief.","input":"Weather in Paris?",\#(Self.tools)}"#,
            history: nil,
            chatAnswer: Self.answer(
                #"{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","#
                    + #""function":{"name":"weather","arguments":"{\"city\":\"Paris\"}"}}]}"#,
                finish: "tool_calls"))
        #expect(first.chat.contains(#""messages":[{"role":"system","content":"Be brief."},"#))
        let call =
            #"{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","#
            + #""function":{"name":"weather","arguments":"{\"city\":\"Paris\"}"}}]}"#
        // The instructions are not part of the history: Responses does not carry them over.
        #expect(Support.text(first.history) == #"[{"role":"user","content":"Weather in Paris?"},\#(call)]"#)

        let second = try turn(
            #"{"model":"gpt-local","instructions":"Be brief.","previous_response_id":"resp_x","#
                + #""input":[{"type":"function_call_output","call_id":"call_1","output":"18C"}],\#(Self.tools)}"#,
            history: first.history,
            chatAnswer: Self.answer(#"{"role":"assistant","content":"18C and sunny."}"#, finish: "stop"))
        let tool = #"{"role":"tool","tool_call_id":"call_1","content":"18C"}"#
        #expect(
            second.chat.contains(
                #""messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Weather in Paris?"},"#
                    + "\(call),\(tool)]"))
        #expect(second.response.contains(#""previous_response_id":"resp_x""#))
        let reply = #"{"role":"assistant","content":"18C and sunny."}"#
        #expect(
            Support.text(second.history)
                == #"[{"role":"user","content":"Weather in Paris?"},\#(call),\#(tool),\#(reply)]"#)

        // A turn without instructions has no system message, whatever the turns before had.
        let third = try turn(
            #"{"model":"gpt-local","previous_response_id":"resp_x","input":"Thanks!"}"#, history: second.history,
            chatAnswer: Self.answer(#"{"role":"assistant","content":"You're welcome."}"#, finish: "stop"))
        #expect(
            third.chat
                == #"{"model":"qwen2.5-7b","messages":[{"role":"user","content":"Weather in Paris?"},"#
                + #"\#(call),\#(tool),\#(reply),{"role":"user","content":"Thanks!"}]}"#)
    }

    @Test func aStreamedAnswerIsStoredAsTheSameHistory() throws {
        let request = try Support.request(#"{"model":"gpt-local","input":"Hi","stream":true}"#)
        let chatBody = try ResponsesToChat.body(request, history: nil, upstreamModel: "qwen2.5-7b")
        var writer = ResponsesStreamWriter(
            id: "resp_1", alias: "gpt-local", upstreamModel: "qwen2.5-7b", createdAt: 1, promptEstimate: 3,
            request: request)
        let stream =
            #"data: {"choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}"# + "\n\n"
            + #"data: {"choices":[{"index":0,"delta":{"content":"lo \"you\""},"finish_reason":null}]}"# + "\n\n"
            + #"data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c9","function":"#
            + #"{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}"# + "\n\n" + "data: [DONE]\n\n"
        var parser = SSEFrameParser()
        var out: [UInt8] = []
        for event in parser.append(ByteBuffer(string: stream)) { writer.translate(event, into: &out) }
        #expect(writer.isFinished)
        let history = try #require(
            ResponsesConversation.history(chatBody: chatBody, request: request, outputItems: writer.outputItems))
        #expect(
            Support.text(history)
                == #"[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello \"you\"","#
                + #""tool_calls":[{"id":"c9","type":"function","function":{"name":"f","arguments":"{}"}}]}]"#)
    }

    @Test func aHistoryOverTheBoundIsNotKept() throws {
        let long = String(repeating: "a", count: ResponsesConversation.maxHistoryBytes)
        let request = try Support.request(#"{"model":"m","input":"\#(long)"}"#)
        let chatBody = try ResponsesToChat.body(request, history: nil, upstreamModel: "m")
        let items = Array(#"[{"type":"message","role":"assistant","content":"ok"}]"#.utf8)
        #expect(ResponsesConversation.history(chatBody: chatBody, request: request, outputItems: items) == nil)
        let short = try Support.request(#"{"model":"m","input":"hi"}"#)
        let shortBody = try ResponsesToChat.body(short, history: nil, upstreamModel: "m")
        #expect(ResponsesConversation.history(chatBody: shortBody, request: short, outputItems: items) != nil)
    }
}
