import Foundation
import NIOCore
import Testing

@testable import RelayWire

/// A Responses answer from a backend that serves Responses itself, as llama-server writes it.
@Suite struct ResponsesPassthroughTests {
    private typealias Support = ResponsesTestSupport

    /// llama-server's stream for a short answer, as it sends it: no `output_index`, no
    /// `content_index`, no `sequence_number`, and no `model` until `response.completed`.
    private static let llamaStream = [
        #"{"type":"response.created","response":{"id":"resp_1","object":"response","status":"in_progress"}}"#,
        #"{"type":"response.in_progress","response":{"id":"resp_1","object":"response","status":"in_progress"}}"#,
        #"{"type":"response.output_item.added","item":{"content":[],"id":"msg_1","role":"assistant","#
            + #""status":"in_progress","type":"message"}}"#,
        #"{"type":"response.content_part.added","item_id":"msg_1","part":{"type":"output_text","text":""}}"#,
        #"{"type":"response.output_text.delta","item_id":"msg_1","delta":"Hi"}"#,
        #"{"type":"response.output_text.done","item_id":"msg_1","text":"Hi"}"#,
        #"{"type":"response.output_item.done","item":{"type":"message","status":"completed","id":"msg_1","#
            + #""content":[{"type":"output_text","annotations":[],"logprobs":[],"text":"Hi"}],"role":"assistant"}}"#,
        #"{"type":"response.completed","response":{"id":"resp_1","object":"response","created_at":1,"#
            + #""status":"completed","model":"SmolLM2-135M-Instruct","output":[{"type":"message","id":"msg_1","#
            + #""content":[{"type":"output_text","text":"Hi"}],"role":"assistant"}],"#
            + #""usage":{"input_tokens":32,"output_tokens":2,"total_tokens":34}}}"#,
    ]

    private static func sse(_ events: [String]) -> String {
        events.map { event in
            let type = event.firstMatch(of: /"type":"([a-z_.]+)"/).map { String($0.output.1) } ?? ""
            return "event: \(type)\ndata: \(event)\n\n"
        }.joined()
    }

    /// Relays `stream` and returns what the client gets, each event's data parsed.
    private static func relay(_ stream: String) -> (relay: ResponsesStreamRelay, events: [(String, JSONObject)]) {
        var relay = ResponsesStreamRelay(alias: "smollm2", upstreamModel: "SmolLM2-135M-Instruct", promptEstimate: 9)
        var parser = SSEFrameParser()
        var out: [UInt8] = []
        for event in parser.append(ByteBuffer(string: stream)) { relay.translate(event, into: &out) }
        var client = SSEFrameParser()
        let events = client.append(ByteBuffer(bytes: out)).compactMap { event -> (String, JSONObject)? in
            guard let data = event.data, let object = try? JSONScanner.object(in: data) else { return nil }
            return (object.string("type") ?? "", object)
        }
        return (relay, events)
    }

    @Test func aStreamKeepsItsEventsAndGetsTheAliasAndTheIndexesTheSDKReadsBy() throws {
        let (relay, events) = Self.relay(Self.sse(Self.llamaStream))
        #expect(
            events.map(\.0)
                == Self.llamaStream.map { $0.firstMatch(of: /"type":"([a-z_.]+)"/).map { String($0.output.1) } ?? "" })
        let completed = try #require(events.last?.1.object("response"))
        #expect(completed.string("model") == "smollm2")
        let byType = Dictionary(events.map { ($0.0, $0.1) }, uniquingKeysWith: { first, _ in first })
        #expect(byType["response.output_item.added"]?.int("output_index") == 0)
        #expect(byType["response.output_text.delta"]?.int("output_index") == 0)
        #expect(byType["response.output_text.delta"]?.int("content_index") == 0)
        #expect(byType["response.content_part.added"]?.int("content_index") == 0)
        // An event that names no item gets no index.
        #expect(byType["response.created"]?.member("output_index") == nil)

        #expect(relay.sawEnd && !relay.sawError)
        #expect(relay.usage == Usage(promptTokens: 32, completionTokens: 2))
        #expect(relay.responseID == "resp_1")
        let final = try #require(relay.finalResponse)
        #expect(Support.text(final).contains(#""model":"smollm2""#))
        #expect(!Support.text(final).contains("SmolLM2"))
        #expect(Support.text(try #require(relay.outputItems)).hasPrefix(#"[{"type":"message","id":"msg_1""#))
    }

    @Test func indexesTheServerSentAreKept() throws {
        let second =
            #"{"type":"response.output_item.added","output_index":7,"item":{"id":"fc_1","type":"function_call"}}"#
        let (_, events) = Self.relay(Self.sse([Self.llamaStream[0], second]))
        #expect(events.last?.1.int("output_index") == 7)
    }

    @Test func theSecondItemAndItsPartsCountOn() throws {
        let events = [
            Self.llamaStream[0],
            #"{"type":"response.output_item.added","item":{"id":"msg_1","type":"message"}}"#,
            #"{"type":"response.content_part.added","item_id":"msg_1","part":{"type":"output_text","text":""}}"#,
            #"{"type":"response.content_part.added","item_id":"msg_1","part":{"type":"output_text","text":""}}"#,
            #"{"type":"response.output_item.added","item":{"id":"fc_1","type":"function_call"}}"#,
            #"{"type":"response.function_call_arguments.delta","item_id":"fc_1","delta":"{}"}"#,
        ]
        let relayed = Self.relay(Self.sse(events)).events
        #expect(relayed[3].1.int("content_index") == 1)
        #expect(relayed[4].1.int("output_index") == 1)
        #expect(relayed[5].1.int("output_index") == 1)
        #expect(relayed[5].1.member("content_index") == nil)
    }

    @Test func anErrorEventEndsTheStreamScrubbedAndNothingFollows() throws {
        let error = #"{"type":"error","message":"model SmolLM2-135M-Instruct at http://10.0.0.5:8080/x failed"}"#
        let (relay, events) = Self.relay(Self.sse([Self.llamaStream[0], error, Self.llamaStream[7]]))
        #expect(relay.sawError && !relay.sawEnd && relay.finalResponse == nil)
        #expect(events.map(\.0) == ["response.created", "error"])
        let message = try #require(events.last?.1.string("message"))
        #expect(!message.contains("SmolLM2") && !message.contains("10.0.0.5"))
    }

    @Test func aFailedResponseIsTheUpstreamsFailure() throws {
        let failed =
            #"{"type":"response.failed","response":{"id":"resp_1","model":"SmolLM2-135M-Instruct","status":"failed","#
            + #""error":{"code":"server_error","message":"SmolLM2-135M-Instruct ran out of memory"}}}"#
        let (relay, events) = Self.relay(Self.sse([Self.llamaStream[0], failed]))
        #expect(relay.sawError && relay.finalResponse == nil)
        let response = try #require(events.last?.1.object("response"))
        #expect(response.string("model") == "smollm2")
        #expect(response.object("error")?.string("message")?.contains("SmolLM2") == false)
    }

    @Test func anEventThatIsNotJSONEndsTheStreamWithAnError() {
        let (relay, events) = Self.relay("event: response.created\ndata: {not json\n\n")
        #expect(relay.sawError)
        #expect(events.map(\.0) == ["error"])
    }

    @Test func aCompleteAnswerGetsTheAliasAndGivesItsIdOutputAndUsage() throws {
        let body = Array(
            (#"{"id":"resp_9","model":"SmolLM2-135M-Instruct","object":"response","output":[{"type":"message","#
                + #""content":[{"type":"output_text","text":"Hi"}]}],"usage":{"input_tokens":5,"output_tokens":1}}"#)
                .utf8)
        let answer = try ResponsesAnswerRewriter.rewrite(body, alias: "smollm2")
        #expect(
            Support.text(answer.body)
                == Support.text(body).replacingOccurrences(of: "SmolLM2-135M-Instruct", with: "smollm2"))
        #expect(answer.id == "resp_9")
        #expect(answer.usage == Usage(promptTokens: 5, completionTokens: 1))
        #expect(Support.text(try #require(answer.outputItems)).hasPrefix(#"[{"type":"message""#))
        #expect(throws: ChatToResponsesError.self) {
            try ResponsesAnswerRewriter.rewrite(Array(#"{"error":{"message":"x"}}"#.utf8), alias: "a")
        }
    }

    @Test func anExpandedFollowUpGetsBackThePreviousResponseItNamed() throws {
        let body = Array(#"{"id":"resp_2","model":"up","previous_response_id":null,"output":[]}"#.utf8)
        let answer = try ResponsesAnswerRewriter.rewrite(body, alias: "a", previousResponseID: "resp_1")
        #expect(
            Support.text(answer.body) == #"{"id":"resp_2","model":"a","previous_response_id":"resp_1","output":[]}"#)
        var relay = ResponsesStreamRelay(
            alias: "a", upstreamModel: "up", promptEstimate: 1, previousResponseID: "resp_1")
        var parser = SSEFrameParser()
        var out: [UInt8] = []
        for event in parser.append(ByteBuffer(string: Self.sse([Self.llamaStream[7]]))) {
            relay.translate(event, into: &out)
        }
        let final = try JSONScanner.object(in: try #require(relay.finalResponse))
        #expect(final.string("previous_response_id") == "resp_1")
    }

    @Test func everyTurnOfAConversationHasTheSameOpening() throws {
        let first = try Support.request(#"{"model":"m","input":"Read this long document ..."}"#)
        let opening = try #require(ResponsesConversation.opening(of: first, previous: nil))
        let output = Array(#"[{"type":"message","role":"assistant","content":"ok"}]"#.utf8)
        let items = try #require(ResponsesConversation.items(previous: nil, request: first, outputItems: output))
        let next = try Support.request(#"{"model":"m","previous_response_id":"resp_1","input":"And then?"}"#)
        #expect(ResponsesConversation.opening(of: next, previous: items) == opening)
        #expect(
            AffinityKey.of(next, sessionID: nil, opening: opening)
                != AffinityKey.of(next, sessionID: nil, opening: Array(#"{"role":"user","content":"x"}"#.utf8)))
        // A name the client gives wins over the opening.
        #expect(AffinityKey.of(next, sessionID: "s1", opening: opening) == AffinityKey.hash("s1"))
    }
}
