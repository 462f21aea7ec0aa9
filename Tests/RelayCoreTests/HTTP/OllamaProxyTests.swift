import AsyncHTTPClient
import Foundation
import Testing

@testable import RelayCore
@testable import RelayWire

/// A `type: ollama` backend is spoken to in Ollama's native API; the client cannot tell.
@Suite struct OllamaProxyTests {
    static let useOllama: @Sendable (inout RelayConfig) -> Void = { config in
        var backend = config.backends["local"]!
        backend.name = "ollama"
        backend.type = .ollama
        backend.keepAlive = "5m"
        backend.options = ["num_ctx": .int(8192)]
        config.backends["ollama"] = backend
        config.models["qwen"] = ModelConfig(name: "qwen", backends: ["ollama"], upstreamModel: "qwen2.5:7b")
        config.models["unpulled"] = ModelConfig(name: "unpulled", backends: ["ollama"], upstreamModel: "missing-model")
        config.apiKeys[0].scopes += ["qwen", "unpulled"]
    }

    @Test func translatesAChatCompletionBothWays() async throws {
        try await Harness.run(configure: Self.useOllama) { harness in
            let (status, _, body) = try await harness.send(
                "/v1/chat/completions",
                body: #"{"model":"qwen","messages":[{"role":"user","content":"hi"}],"max_tokens":7,"temperature":0.5}"#
            )
            #expect(status == 200)
            let answer = try JSONScanner.object(in: Array(body.utf8))
            #expect(answer.string("object") == "chat.completion")
            #expect(answer.string("model") == "qwen")
            #expect(body.contains(#""content":"Hello there""#))
            #expect(body.contains(#""prompt_tokens":26,"completion_tokens":3,"total_tokens":29"#))
            let sent = try #require(harness.stub.requests.last)
            #expect(sent.path == "/api/chat")
            let upstream = try JSONScanner.object(in: Array(sent.body.utf8))
            #expect(upstream.string("model") == "qwen2.5:7b")
            #expect(upstream.bool("stream") == false)
            #expect(upstream.string("keep_alive") == "5m")
            let options = try #require(upstream.object("options"))
            #expect(options.int("num_predict") == 7)
            #expect(options.int("num_ctx") == 8192)
        }
    }

    @Test func turnsNDJSONIntoServerSentEvents() async throws {
        try await Harness.run(configure: Self.useOllama) { harness in
            let (status, headers, text) = try await harness.send(
                "/v1/chat/completions",
                body: #"{"model":"qwen","stream":true,"stream_options":{"include_usage":true},"messages":[]}"#
            )
            #expect(status == 200)
            #expect(headers["content-type"].first == "text/event-stream")
            let events = text.components(separatedBy: "\n\n").filter { !$0.isEmpty }
            #expect(events.first?.contains(#""role":"assistant""#) == true)
            #expect(text.contains(#""content":"Hel""#) && text.contains(#""content":"lo""#))
            #expect(text.contains(#""finish_reason":"stop""#))
            #expect(text.contains(#""usage":{"prompt_tokens":26,"completion_tokens":2,"total_tokens":28}"#))
            #expect(events.last == "data: [DONE]")
            #expect(!text.contains("qwen2.5:7b"))
        }
    }

    @Test func aModelThatIsNotPulledIsTheBackendsFault() async throws {
        try await Harness.run(configure: Self.useOllama) { harness in
            let (status, _, body) = try await harness.send(
                "/v1/chat/completions",
                body: #"{"model":"unpulled","messages":[]}"#
            )
            #expect(status == 502)
            #expect(body.contains("ollama: answered 404"))
            #expect(!body.contains("missing-model"))
        }
    }
}
