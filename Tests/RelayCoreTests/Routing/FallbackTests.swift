import AsyncHTTPClient
import Foundation
import NIOCore
import Testing

@testable import RelayCore

/// Routing over two backends that point at the same stub; the upstream model name picks how
/// each one behaves.
@Suite struct FallbackTests {
    static func withFallback(_ primary: String, streamFallback: Bool = false) -> (inout RelayConfig) -> Void {
        { config in
            var second = config.backends["local"]!
            second.name = "second"
            config.backends["second"] = second
            var model = ModelConfig(name: "fo", backends: ["local"], upstreamModel: primary)
            model.fallbacks = [TargetConfig(backend: "second", upstreamModel: "stub-chat")]
            config.models["fo"] = model
            config.apiKeys[0].scopes.append("fo")
        }
    }

    static let body = #"{"model":"fo","messages":[{"role":"user","content":"hi"}]}"#

    @Test(arguments: ["fail-500", "fail-404", "fail-429", "slow-json"])
    func movesOnWhenTheFirstTargetFails(_ upstream: String) async throws {
        try await Harness.run(configure: Self.withFallback(upstream)) { harness in
            let (status, headers, body) = try await harness.send("/v1/chat/completions", body: Self.body)
            #expect(status == 200)
            #expect(headers["x-relay-backend"].first == "second")
            #expect(headers["x-relay-attempts"].first == "2")
            #expect(body.contains(#""model":"fo""#))
            let line = try #require(try await harness.lines.waitForAccessLines(1).first)
            #expect(line.contains(#""fallback_from":"local","failed_attempts":["local: "#))
        }
    }

    @Test func doesNotMoveOnWhenTheUpstreamRejectsTheRequestItself() async throws {
        try await Harness.run(configure: Self.withFallback("fail-400")) { harness in
            let (status, headers, _) = try await harness.send("/v1/chat/completions", body: Self.body)
            #expect(status == 400)
            #expect(headers["x-relay-attempts"].first == "1")
        }
    }

    @Test func keepsKeysWithoutFallbackOnTheirOwnBackends() async throws {
        let configure = Self.withFallback("fail-500")
        try await Harness.run(configure: {
            configure(&$0)
            $0.apiKeys[0].fallback = false
        }) { harness in
            let (status, headers, body) = try await harness.send("/v1/chat/completions", body: Self.body)
            #expect(status == 502)
            #expect(headers["x-should-retry"].first == "false")
            #expect(body.contains("local: answered 500"))
            #expect(harness.stub.requests.count == 1)
        }
    }

    @Test func fallsBackInvisiblyWhenAStreamFailsBeforeItsFirstEvent() async throws {
        try await Harness.run(configure: Self.withFallback("empty-stream")) { harness in
            let body = #"{"model":"fo","stream":true,"messages":[]}"#
            let (status, headers, text) = try await harness.send("/v1/chat/completions", body: body)
            #expect(status == 200)
            #expect(headers["x-relay-backend"].first == "second")
            #expect(text.hasSuffix("data: [DONE]\n\n"))
        }
    }

    @Test func opensTheCircuitSkipsTheBackendThenProbesAndCloses() async throws {
        let configure = Self.withFallback("fail-500")
        try await Harness.run(configure: {
            configure(&$0)
            $0.backends["local"]?.circuit.failures = 2
            // Long enough that a busy machine still sends the third request inside it.
            $0.backends["local"]?.circuit.cooldown = 1
        }) { harness in
            for _ in 0..<2 {
                let (_, headers, _) = try await harness.send("/v1/chat/completions", body: Self.body)
                #expect(headers["x-relay-attempts"].first == "2")
            }
            // Open: the failing backend is skipped, which is not an attempt.
            let (_, skipped, _) = try await harness.send("/v1/chat/completions", body: Self.body)
            #expect(skipped["x-relay-attempts"].first == "1")
            #expect(skipped["x-relay-backend"].first == "second")
            let upstreamCalls = harness.stub.requests.count
            try await Task.sleep(for: .milliseconds(1_050))
            // After the cooldown one probe goes through; it fails, so the circuit opens again.
            _ = try await harness.send("/v1/chat/completions", body: Self.body)
            #expect(harness.stub.requests.count == upstreamCalls + 2)
            let ready = try await harness.send("/readyz", method: .GET, key: nil)
            #expect(ready.body.contains(#""local":{"state":"circuit_open""#))
        }
    }

    @Test func answers503WhenNoTargetCanBeCalled() async throws {
        try await Harness.run(configure: {
            $0.backends["local"]?.maxConcurrency = 1
            $0.models["chat"]?.queueTimeout = 0
        }) { harness in
            let gated = #"{"model":"gated","stream":true,"messages":[]}"#
            let holding = try await harness.start("/v1/chat/completions", body: gated)
            #expect(holding.status == .ok)
            let (status, headers, body) = try await harness.send("/v1/chat/completions", body: ProxyTests.chat)
            #expect(status == 503)
            #expect(body.contains(#""code":"upstream_unavailable""#) && body.contains("local: busy"))
            #expect(headers["x-should-retry"].first == "false")
            harness.stub.gate.open()
            _ = try await holding.body.collect(upTo: 1 << 20)
        }
    }

    @Test func spillsOverToTheOtherBackendWhenOneIsFull() async throws {
        try await Harness.run(configure: { config in
            config.backends["local"]?.maxConcurrency = 1
            var second = config.backends["local"]!
            second.name = "second"
            config.backends["second"] = second
            config.models["gated"]?.backends = ["local", "second"]
        }) { harness in
            let gated = #"{"model":"gated","stream":true,"messages":[]}"#
            let first = try await harness.start("/v1/chat/completions", body: gated)
            let second = try await harness.start("/v1/chat/completions", body: gated)
            let served = Set([first.headers["x-relay-backend"].first, second.headers["x-relay-backend"].first])
            #expect(served == ["local", "second"])
            harness.stub.gate.open()
            _ = try await first.body.collect(upTo: 1 << 20)
            _ = try await second.body.collect(upTo: 1 << 20)
        }
    }

    @Test func waitsForALocalSlotUpToTheQueueTimeout() async throws {
        try await Harness.run(configure: { config in
            config.backends["local"]?.maxConcurrency = 1
            config.models["gated"]?.queueTimeout = 5
        }) { harness in
            let gated = #"{"model":"gated","stream":true,"messages":[]}"#
            let holding = try await harness.start("/v1/chat/completions", body: gated)
            async let queued = harness.send("/v1/chat/completions", body: gated)
            try await Task.sleep(for: .milliseconds(200))
            harness.stub.gate.open()
            _ = try await holding.body.collect(upTo: 1 << 20)
            let (status, _, text) = try await queued
            #expect(status == 200)
            #expect(text.hasSuffix("data: [DONE]\n\n"))
        }
    }
}
