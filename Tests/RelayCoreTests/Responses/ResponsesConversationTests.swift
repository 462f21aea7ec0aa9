import NIOCore
import Testing

@testable import RelayWire

@Suite struct ResponsesConversationTests {
    private typealias Support = ResponsesTestSupport

    private static let tools =
        #""tools":[{"type":"function","name":"weather","parameters":{"type":"object","#
        + #""properties":{"city":{"type":"string"}}}}]"#

    /// One turn: the chat body Relay sends for `json` after the stored `items`, the answer
    /// `chatAnswer` translated back, and the items stored for the next turn, with the chat
    /// history they make.
    private func turn(
        _ json: String,
        items: [UInt8]?,
        chatAnswer: String
    ) throws -> (chat: String, response: String, items: [UInt8], history: [UInt8]) {
        let request = try Support.request(json)
        let history = try items.map { try ResponsesConversation.chatHistory($0) }
        let chatBody = try ResponsesToChat.body(request, history: history, upstreamModel: "qwen2.5-7b")
        let answer = try ChatToResponses.response(
            Array(chatAnswer.utf8), id: "resp_x", alias: "gpt-local", createdAt: 1, request: request)
        let next = try #require(
            ResponsesConversation.items(previous: items, request: request, outputItems: answer.outputItems))
        return (Support.text(chatBody), Support.text(answer.body), next, try ResponsesConversation.chatHistory(next))
    }

    private static func answer(_ message: String, finish: String) -> String {
        #"{"id":"c","choices":[{"index":0,"message":\#(message),"finish_reason":"\#(finish)"}],"#
            + #""usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}}"#
    }

    @Test func aFunctionCallRoundTripContinuesThroughTheStoredHistory() throws {
        let first = try turn(
            #"{"model":"gpt-local","instructions":"Be brief.","input":"Weather in Paris?",\#(Self.tools)}"#,
            items: nil,
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
            items: first.items,
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
            #"{"model":"gpt-local","previous_response_id":"resp_x","input":"Thanks!"}"#, items: second.items,
            chatAnswer: Self.answer(#"{"role":"assistant","content":"You're welcome."}"#, finish: "stop"))
        #expect(
            third.chat
                == #"{"model":"qwen2.5-7b","messages":[{"role":"user","content":"Weather in Paris?"},"#
                + #"\#(call),\#(tool),\#(reply),{"role":"user","content":"Thanks!"}]}"#)
    }

    @Test func aStreamedAnswerIsStoredAsTheSameHistory() throws {
        let request = try Support.request(#"{"model":"gpt-local","input":"Hi","stream":true}"#)
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
        let items = try #require(
            ResponsesConversation.items(previous: nil, request: request, outputItems: writer.outputItems))
        #expect(
            Support.text(try ResponsesConversation.chatHistory(items))
                == #"[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello \"you\"","#
                + #""tool_calls":[{"id":"c9","type":"function","function":{"name":"f","arguments":"{}"}}]}]"#)
    }

    @Test func aConversationOverTheBoundIsNotKept() throws {
        let long = String(repeating: "a", count: ResponsesConversation.maxHistoryBytes)
        let request = try Support.request(#"{"model":"m","input":"\#(long)"}"#)
        let output = Array(#"[{"type":"message","role":"assistant","content":"ok"}]"#.utf8)
        #expect(ResponsesConversation.items(previous: nil, request: request, outputItems: output) == nil)
        let short = try Support.request(#"{"model":"m","input":"hi"}"#)
        #expect(ResponsesConversation.items(previous: nil, request: short, outputItems: output) != nil)
    }

    @Test func aFollowUpToANativeBackendCarriesTheConversationAsItsInput() throws {
        let first = try Support.request(#"{"model":"m","instructions":"Be brief.","input":"Hi","store":true}"#)
        let output = Array(
            #"[{"type":"message","id":"msg_1","role":"assistant","content":[{"type":"output_text","text":"Hello"}]}]"#
                .utf8)
        let items = try #require(ResponsesConversation.items(previous: nil, request: first, outputItems: output))
        let next = try Support.request(
            #"{"model":"m","previous_response_id":"resp_1","input":[{"role":"user","content":"Bye"}],"top_p":0.5}"#)
        let expanded = try #require(ResponsesConversation.expandedRequest(next, previous: items))
        // previous_response_id is gone (llama-server refuses it); every other member is as sent.
        #expect(
            Support.text(expanded)
                == #"{"model":"m","input":[{"role":"user","content":"Hi"},{"type":"message","id":"msg_1","#
                + #""role":"assistant","content":[{"type":"output_text","text":"Hello"}]},"#
                + #"{"role":"user","content":"Bye"}],"top_p":0.5}"#)
    }

    @Test func storedItemsThatAreNotAnArrayAreRefusedNamingPreviousResponseID() {
        #expect(throws: ClientRequestError.self) { try ResponsesConversation.chatHistory(Array("{".utf8)) }
        #expect(
            ResponsesConversation.expandedRequest(
                try! Support.request(#"{"model":"m","input":"x"}"#), previous: Array("{".utf8)) == nil)
    }
}
