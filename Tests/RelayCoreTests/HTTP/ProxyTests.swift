import AsyncHTTPClient
import Foundation
import NIOCore
import Testing

@testable import RelayCore
@testable import RelayWire

@Suite struct ProxyTests {
    static let chat = #"{"messages":[{"role":"user","content":"Say hello"}],"temperature":0.2,"model":"chat"}"#

    @Test func proxiesAChatCompletionWithTheAliasSwapped() async throws {
        try await Harness.run { harness in
            let (status, headers, body) = try await harness.send(
                "/v1/chat/completions",
                body: Self.chat,
                headers: [("x-request-id", "6f1c2a8e-52b4-4c1e-9a57-0d2f3b4c5d6e"), ("accept-encoding", "gzip")]
            )
            #expect(status == 200)
            let answer = try JSONScanner.object(in: Array(body.utf8))
            #expect(answer.string("model") == "chat")
            #expect(!body.contains("stub-chat"))
            #expect(headers["x-request-id"].first == "6f1c2a8e-52b4-4c1e-9a57-0d2f3b4c5d6e")
            #expect(headers["x-relay-backend"].first == "local")
            #expect(headers["x-relay-attempts"].first == "1")
            let overhead = try #require(headers["x-relay-overhead-ms"].first.flatMap(Double.init))
            #expect(overhead >= 0 && overhead < 1000)

            let sent = try #require(harness.stub.requests.last)
            // swift-format-ignore
            #expect(sent.body == #"{"messages":[{"role":"user","content":"Say hello"}],"temperature":0.2,"model":"stub-chat"}"#)
            #expect(sent.headers[.authorization] == "Bearer upstream-secret")
            #expect(sent.headers[values: .acceptEncoding].isEmpty)
            #expect(sent.headers[.xRequestID] == "6f1c2a8e-52b4-4c1e-9a57-0d2f3b4c5d6e")

            let line = try #require(try await harness.lines.waitForAccessLines(1).first)
            // swift-format-ignore
            #expect(line.contains(#""key":"dev","model":"chat","backend":"local","upstream_model":"stub-chat","status":200"#))
            #expect(line.contains(#""prompt_tokens":9,"completion_tokens":3,"attempts":1"#))
            #expect(!line.contains(Harness.key))
            #expect(!harness.lines.all.contains("upstream-secret"))
        }
    }

    @Test func forwardsAStreamEventByEventAsItArrives() async throws {
        try await Harness.run { harness in
            let body = Self.chat.replacingOccurrences(of: #""model":"chat""#, with: #""model":"gated","stream":true"#)
            let response = try await harness.start("/v1/chat/completions", body: body)
            #expect(response.status == .ok)
            #expect(response.headers["content-type"].first == "text/event-stream")
            #expect(response.headers["x-ratelimit-remaining-requests"].isEmpty)
            // A stream's overhead is known only at its end: its head tells none.
            #expect(response.headers["x-relay-backend"].first == "local")
            #expect(response.headers["x-relay-overhead-ms"].isEmpty)
            var iterator = response.body.makeAsyncIterator()
            var received = ""
            // The upstream holds the rest of its stream until the gate opens: what arrives now
            // was forwarded while the upstream had not sent its last event.
            while !received.contains("Hel") {
                received += String(buffer: try #require(try await iterator.next()))
            }
            #expect(!received.contains("[DONE]"))
            harness.stub.gate.open()
            while let chunk = try await iterator.next() { received += String(buffer: chunk) }
            #expect(received.contains(#""model":"gated""#))
            #expect(!received.contains("gated-stream"))
            #expect(!received.contains("usage"))
            #expect(received.hasSuffix("data: [DONE]\n\n"))
            let sent = try #require(harness.stub.requests.last)
            #expect(sent.body.contains(#""stream_options":{"include_usage":true}"#))
            let line = try #require(try await harness.lines.waitForAccessLines(1).first)
            #expect(line.contains(#""stream":true"#))
            #expect(line.contains(#""prompt_tokens":9,"completion_tokens":2"#))
            #expect(line.contains("ttft_ms"))
        }
    }

    @Test func givesTheUsageChunkTheClientAskedForEvenWhenTheUpstreamIgnoresIt() async throws {
        try await Harness.run { harness in
            // swift-format-ignore
            let body = #"{"model":"no-usage","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"0123456789abcdef"}]}"#
            let (status, _, text) = try await harness.send("/v1/chat/completions", body: body)
            #expect(status == 200)
            let usageLine = try #require(text.split(separator: "\n").first { $0.contains("\"usage\"") })
            #expect(usageLine.contains(#""model":"no-usage","choices":[],"usage":{"prompt_tokens":"#))
            #expect(text.hasSuffix("data: [DONE]\n\n"))
        }
    }

    @Test func endsABrokenStreamWithAnErrorEventAndNoDone() async throws {
        try await Harness.run { harness in
            for model in ["cut", "stall"] {
                let body = #"{"model":"\#(model)","stream":true,"messages":[]}"#
                let (status, _, text) = try await harness.send("/v1/chat/completions", body: body)
                #expect(status == 200)
                #expect(text.hasPrefix(#"data: {"id":"chatcmpl-2","object":"chat.completion.chunk""#))
                #expect(text.contains(#"data: {"error":{"message":"local: "#))
                #expect(!text.contains("[DONE]"))
            }
        }
    }

    @Test func mapsUpstreamAnswersToOpenAIErrors() async throws {
        try await Harness.run { harness in
            let rejected = try await harness.send("/v1/chat/completions", body: #"{"model":"bad","messages":[]}"#)
            #expect(rejected.status == 400)
            // swift-format-ignore
            #expect(rejected.body.contains(#""message":"This model's maximum context length is 2048 tokens (model bad)""#))
            #expect(!rejected.body.contains("fail-400"))

            let missing = try await harness.send("/v1/chat/completions", body: #"{"model":"missing","messages":[]}"#)
            #expect(missing.status == 502)
            #expect(missing.body.contains(#""type":"api_error""#) && missing.body.contains(#""code":"upstream_error""#))
            #expect(missing.body.contains("local: answered 404"))
            #expect(missing.headers["x-should-retry"].first == "false")

            let slow = try await harness.send("/v1/chat/completions", body: #"{"model":"slow","messages":[]}"#)
            #expect(slow.status == 504)
            #expect(slow.body.contains(#""code":"upstream_timeout""#))
        }
    }

    @Test func answersUnreachableUpstreamsWith502() async throws {
        let unreachable: (inout RelayConfig) -> Void = { $0.backends["local"]?.baseURL = "http://127.0.0.1:1" }
        try await Harness.run(configure: unreachable) { harness in
            let (status, _, body) = try await harness.send("/v1/chat/completions", body: Self.chat)
            #expect(status == 502)
            #expect(body.contains("local: cannot connect"))
        }
    }

    @Test func encodesEmbeddingsAsBase64WhenAsked() async throws {
        try await Harness.run { harness in
            let (status, _, body) = try await harness.send(
                "/v1/embeddings",
                body: #"{"model":"embed","input":"hi","encoding_format":"base64"}"#
            )
            #expect(status == 200)
            let expected = Data(
                [Float(0.25), Float(-0.5)].flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) })
            #expect(body.contains(#""embedding":"\#(expected.base64EncodedString())""#))
            #expect(body.contains(#""model":"embed""#))
        }
    }
}

@Suite struct RequestIDTests {
    @Test func keepsOnlyUUIDsForTheUpstream() async throws {
        try await Harness.run { harness in
            let (_, headers, _) = try await harness.send(
                "/v1/chat/completions",
                body: ProxyTests.chat,
                headers: [("x-request-id", "client-trace-7")]
            )
            #expect(headers["x-request-id"].first == "client-trace-7")
            #expect(try #require(harness.stub.requests.last).headers[.xRequestID] == nil)
            let (_, generated, _) = try await harness.send("/v1/chat/completions", body: ProxyTests.chat)
            let id = try #require(generated["x-request-id"].first)
            #expect(UUID(uuidString: id) != nil)
            #expect(try #require(harness.stub.requests.last).headers[.xRequestID] == id)
        }
    }
}
