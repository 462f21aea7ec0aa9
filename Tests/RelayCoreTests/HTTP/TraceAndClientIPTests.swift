import Foundation
import HTTPTypes
import Testing

@testable import RelayCore

/// `traceparent` through Relay to the upstream, and `client_ip`/`trace_id` in the access line.
@Suite struct TraceAndClientIPTests {
    static let incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    static func accessLine(_ harness: Harness) async throws -> [String: Any] {
        let line = try #require(try await harness.lines.waitForAccessLines(1).last)
        return try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    static func upstreamHeader(_ harness: Harness, _ name: String) -> [String] {
        harness.stub.requests.last.map { $0.headers[values: HTTPField.Name(name)!] } ?? []
    }

    @Test func passesTheTraceOnWithRelayAsTheParent() async throws {
        try await Harness.run { harness in
            let (status, _, _) = try await harness.send(
                "/v1/chat/completions", body: ProxyTests.chat,
                headers: [("traceparent", Self.incoming), ("tracestate", "vendor=opaque,other=1")])
            #expect(status == 200)
            let sent = Self.upstreamHeader(harness, "traceparent")
            #expect(sent.count == 1)
            let parts = sent.first?.split(separator: "-") ?? []
            #expect(parts.count == 4)
            #expect(parts.first == "00" && parts.last == "01")
            #expect(parts.dropFirst().first == "4bf92f3577b34da6a3ce929d0e0e4736")
            #expect(parts.count == 4 && parts[2] != "00f067aa0ba902b7")
            #expect(Self.upstreamHeader(harness, "tracestate") == ["vendor=opaque,other=1"])
            let line = try await Self.accessLine(harness)
            #expect(line["trace_id"] as? String == "4bf92f3577b34da6a3ce929d0e0e4736")
            #expect(line["client_ip"] as? String == "127.0.0.1")
        }
    }

    @Test func startsATraceForAnInvalidOneAndDropsItsState() async throws {
        try await Harness.run { harness in
            _ = try await harness.send(
                "/v1/chat/completions", body: ProxyTests.chat,
                headers: [
                    ("traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"),
                    ("tracestate", "vendor=opaque"),
                ])
            let sent = try #require(Self.upstreamHeader(harness, "traceparent").first)
            let traceID = String(sent.dropFirst(3).prefix(32))
            #expect(traceID != "00000000000000000000000000000000")
            #expect(TraceContext.parse(sent) != nil)
            #expect(Self.upstreamHeader(harness, "tracestate").isEmpty)
            let line = try await Self.accessLine(harness)
            #expect(line["trace_id"] as? String == traceID)
        }
    }

    @Test func forwardedForIsBelievedOnlyFromTrustedProxies() async throws {
        let forwarded = [("x-forwarded-for", "192.0.2.1, 198.51.100.23")]
        try await Harness.run { harness in
            _ = try await harness.send("/v1/chat/completions", body: ProxyTests.chat, headers: forwarded)
            #expect(try await Self.accessLine(harness)["client_ip"] as? String == "127.0.0.1")
        }
        try await Harness.run(configure: { $0.server.trustedProxies = ["127.0.0.0/8"] }) { harness in
            _ = try await harness.send("/v1/chat/completions", body: ProxyTests.chat, headers: forwarded)
            #expect(try await Self.accessLine(harness)["client_ip"] as? String == "198.51.100.23")
        }
    }

    @Test func ollamaBackendsGetTheTraceToo() async throws {
        try await Harness.run(configure: OllamaProxyTests.useOllama) { harness in
            let (status, _, _) = try await harness.send(
                "/v1/chat/completions", body: #"{"model":"qwen","messages":[{"role":"user","content":"hi"}]}"#,
                headers: [("traceparent", Self.incoming), ("tracestate", "vendor=opaque")])
            #expect(status == 200)
            #expect(harness.stub.requests.last?.path == "/api/chat")
            let sent = try #require(Self.upstreamHeader(harness, "traceparent").first)
            #expect(sent.hasPrefix("00-4bf92f3577b34da6a3ce929d0e0e4736-") && sent.hasSuffix("-01"))
            #expect(!sent.contains("00f067aa0ba902b7"))
            #expect(Self.upstreamHeader(harness, "tracestate") == ["vendor=opaque"])
        }
    }

    @Test func errorsCarryClientAndTraceToo() async throws {
        try await Harness.run { harness in
            let (status, _, _) = try await harness.send(
                "/v1/chat/completions", body: ProxyTests.chat, key: "rk-wrong",
                headers: [("traceparent", Self.incoming)])
            #expect(status == 401)
            let line = try await Self.accessLine(harness)
            #expect(line["trace_id"] as? String == "4bf92f3577b34da6a3ce929d0e0e4736")
            #expect(line["client_ip"] as? String == "127.0.0.1")
        }
    }
}
