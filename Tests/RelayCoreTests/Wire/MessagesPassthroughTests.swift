import Foundation
import Testing

@testable import RelayWire

/// A Messages answer and stream from a backend that serves Messages itself: the alias put back,
/// the usage read, nothing else changed.
struct MessagesPassthroughTests {
    @Test func anAnswerGetsTheAliasAndGivesItsUsage() throws {
        let body = Array(
            #"{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"text","text":"Paris."}],"model":"SmolLM2-135M","stop_reason":"end_turn","stop_sequence":null,"usage":{"cache_read_input_tokens":3,"input_tokens":16,"output_tokens":4}}"#
                .utf8)
        let rewritten = try MessagesAnswerRewriter.rewrite(body, alias: "smol")
        let text = String(decoding: rewritten.body, as: UTF8.self)
        #expect(text == String(decoding: body, as: UTF8.self).replacingOccurrences(of: "SmolLM2-135M", with: "smol"))
        #expect(rewritten.usage == Usage(promptTokens: 19, completionTokens: 4))
    }

    @Test func aCountHasNoModelAndPassesUnchanged() throws {
        let body = Array(#"{"input_tokens":32}"#.utf8)
        let rewritten = try MessagesAnswerRewriter.rewrite(body, alias: "smol")
        #expect(rewritten.body == body && rewritten.usage == nil)
    }

    @Test(arguments: [#"{"type":"error","error":{"type":"api_error","message":"x"}}"#, "not json"])
    func anErrorOrABrokenBodyIsNoAnswer(_ body: String) {
        #expect(throws: MessagesAnswerRewriter.Unusable.self) {
            try MessagesAnswerRewriter.rewrite(Array(body.utf8), alias: "smol")
        }
    }

    private func relay(_ events: [String], into relay: inout MessagesStreamRelay) -> String {
        var out: [UInt8] = []
        for data in events { relay.translate(SSEFrameParser.Event(data: Array(data.utf8)), into: &out) }
        return String(decoding: out, as: UTF8.self)
    }

    @Test func aStreamKeepsItsEventsButTheModelAndReportsItsUsage() {
        var stream = MessagesStreamRelay(alias: "smol", upstreamModel: "SmolLM2-135M", promptEstimate: 99)
        let out = relay(
            [
                #"{"type":"message_start","message":{"id":"m","type":"message","role":"assistant","content":[],"model":"SmolLM2-135M","usage":{"input_tokens":16,"output_tokens":0}}}"#,
                #"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
                #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Paris"}}"#,
                #"{"type":"content_block_stop","index":0}"#,
                #"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":2}}"#,
                #"{"type":"message_stop"}"#,
                #"{"type":"ping"}"#,
            ],
            into: &stream
        )
        #expect(!out.contains("SmolLM2"))
        #expect(out.hasPrefix("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{"))
        #expect(out.contains(#""model":"smol""#))
        #expect(out.contains("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"))
        #expect(out.hasSuffix("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"), "nothing after the stop")
        #expect(stream.sawStop && !stream.sawError)
        #expect(stream.usage == Usage(promptTokens: 16, completionTokens: 2))
    }

    @Test func anErrorEventIsScrubbedAndEndsTheStream() {
        var stream = MessagesStreamRelay(alias: "smol", upstreamModel: "SmolLM2-135M", promptEstimate: 7)
        let out = relay(
            [
                #"{"type":"error","error":{"type":"overloaded_error","message":"SmolLM2-135M is overloaded"}}"#,
                #"{"type":"message_stop"}"#,
            ],
            into: &stream
        )
        #expect(
            out == "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
                + "\"message\":\"smol is overloaded\"}}\n\n")
        #expect(stream.sawError && stream.usage.estimated && stream.usage.promptTokens == 7)
    }

    @Test(arguments: [#"{"type":"x\ndata: [DONE]"}"#, "{not json", #"{"type":""}"#])
    func anEventThatCouldSmuggleAnotherIsAnError(_ data: String) {
        var stream = MessagesStreamRelay(alias: "smol", upstreamModel: "u", promptEstimate: 1)
        let out = relay([data], into: &stream)
        #expect(out.hasPrefix("event: error\ndata: {\"type\":\"error\""))
        #expect(stream.sawError)
    }

    @Test func anthropicRateLimitLinesTellTheResetAsAMoment() {
        let snapshot = RateLimitSnapshot(
            requests: WindowSnapshot(limit: 10, remaining: 9, reset: .seconds(6)),
            tokens: WindowSnapshot(limit: 1000, remaining: 400, reset: .milliseconds(1500)))
        var room = [UInt8](repeating: 0, count: RateLimitSnapshot.mostAnthropicHeadBytes)
        let written = room.withUnsafeMutableBytes { out in
            var writer = RawByteWriter(out: out)
            snapshot.putAnthropicHeadLines(into: &writer, nowMilliseconds: 1_796_637_600_000)
            return writer.at
        }
        let text = String(decoding: room[..<written], as: UTF8.self)
        let expected: [String] = [
            "anthropic-ratelimit-requests-limit: 10", "anthropic-ratelimit-requests-remaining: 9",
            "anthropic-ratelimit-requests-reset: 2026-12-07T10:00:06Z", "anthropic-ratelimit-tokens-limit: 1000",
            "anthropic-ratelimit-tokens-remaining: 400", "anthropic-ratelimit-tokens-reset: 2026-12-07T10:00:02Z",
        ]
        #expect(text == expected.map { $0 + "\r\n" }.joined())
    }

    @Test(arguments: [
        (0, "1970-01-01T00:00:00Z"), (951_782_400, "2000-02-29T00:00:00Z"), (1_796_637_659, "2026-12-07T10:00:59Z"),
        (4_102_444_799, "2099-12-31T23:59:59Z"),
    ])
    func rfc3339TimesAreCivilDates(_ seconds: Int64, _ expected: String) {
        #expect(RFC3339Time.format(unixSeconds: seconds) == expected)
    }
}
