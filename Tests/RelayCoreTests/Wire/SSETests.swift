import Foundation
import NIOCore
import Testing

@testable import RelayCore
@testable import RelayWire

@Suite struct SSETests {
    static let stream =
        "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":7,\"model\":\"up\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n"
        + ": keep-alive comment\n\n"
        + "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":7,\"model\":\"up\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"}}]}\r\n\r\n"
        + "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":7,\"model\":\"up\",\"choices\":[],\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":2,\"total_tokens\":6}}\n\n"
        + "data: [DONE]\n\n"

    private func events(_ text: String, cutEvery size: Int) -> [SSEFrameParser.Event] {
        var parser = SSEFrameParser()
        let bytes = Array(text.utf8)
        var events: [SSEFrameParser.Event] = []
        var start = 0
        while start < bytes.count {
            let end = min(start + size, bytes.count)
            events += parser.append(ByteBuffer(bytes: bytes[start..<end]))
            start = end
        }
        return events
    }

    @Test(arguments: [1, 2, 3, 7, 64, 10_000])
    func framesTheSameHoweverTheBytesAreCut(_ size: Int) {
        let framed = events(Self.stream, cutEvery: size)
        #expect(framed.count == 5)
        #expect(framed[1].data == nil)
        #expect(framed[4].data.map { String(decoding: $0, as: UTF8.self) } == "[DONE]")
    }

    private func relay(_ text: String, wantsUsage: Bool) -> (String, OpenAIStreamRelay) {
        var relay = OpenAIStreamRelay(
            alias: "alias", upstreamModel: "upstream-model", clientWantsUsage: wantsUsage, promptEstimate: 10)
        var out: [UInt8] = []
        for event in events(text, cutEvery: 5) { relay.translate(event, into: &out) }
        return (String(decoding: out, as: UTF8.self), relay)
    }

    @Test func removesTheUsageChunkTheClientDidNotAskFor() {
        let (out, relay) = relay(Self.stream, wantsUsage: false)
        #expect(!out.contains("usage"))
        #expect(!out.contains("\"up\""))
        #expect(out.contains("\"model\":\"alias\""))
        #expect(out.hasSuffix("data: [DONE]\n\n"))
        #expect(relay.usage == Usage(promptTokens: 4, completionTokens: 2))
    }

    @Test func replacesEveryModelValueAndKeepsTheRestByteForByte() {
        // Spaced as Python's json.dumps writes it, with `model` twice: a client that reads the
        // last duplicate must not see the upstream's name either.
        let chunk = #"{"id": "c1", "model": "up", "choices": [{"delta": {"content": "Hi"}}], "model" : "up"}"#
        let (out, _) = relay("data: \(chunk)\n\ndata: [DONE]\n\n", wantsUsage: false)
        #expect(
            out
                == #"data: {"id": "c1", "model": "alias", "choices": [{"delta": {"content": "Hi"}}], "model" : "alias"}"#
                + "\n\ndata: [DONE]\n\n"
        )
    }

    @Test func keepsTheUsageChunkTheClientAskedFor() {
        let (out, _) = relay(Self.stream, wantsUsage: true)
        #expect(out.contains(#""choices":[],"usage":{"prompt_tokens":4"#))
    }

    @Test func estimatesUsageWhenTheUpstreamIgnoresTheAsk() {
        // swift-format-ignore
        let withoutUsage = Self.stream.replacingOccurrences(
            of: "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":7,\"model\":\"up\",\"choices\":[],\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":2,\"total_tokens\":6}}\n\n",
            with: ""
        )
        let (out, relay) = relay(withoutUsage, wantsUsage: true)
        #expect(relay.usage.estimated)
        #expect(relay.usage.promptTokens == 10)
        #expect(relay.usage.completionTokens == 2)
        #expect(
            out.contains(
                #"data: {"id":"c1","object":"chat.completion.chunk","created":7,"model":"alias","choices":[],"usage":{"prompt_tokens":10,"completion_tokens":2,"total_tokens":12}}"#
            )
        )
        #expect(out.hasSuffix("data: [DONE]\n\n"))
    }
}
