import AsyncHTTPClient
import Foundation
import Testing

@testable import RelayCore

@Suite struct MetricsTests {
    /// `name{labels} value` lines of the exposition, by series.
    static func series(_ exposition: String) -> [String: Double] {
        var values: [String: Double] = [:]
        for line in exposition.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                continue
            }
            values[String(line[..<space])] = value
        }
        return values
    }

    @Test func countsKnownTrafficExactly() async throws {
        try await Harness.run { harness in
            for _ in 0..<2 { _ = try await harness.send("/v1/chat/completions", body: ProxyTests.chat) }
            _ = try await harness.send("/v1/chat/completions", body: ProxyTests.chat, key: "rk-nope")
            for index in 0..<50 {
                _ = try await harness.send("/v1/chat/completions", body: #"{"model":"random-\#(index)"}"#)
            }
            _ = try await harness.lines.waitForAccessLines(53)
            let (status, headers, text) = try await harness.send("/metrics", method: .GET, key: nil)
            #expect(status == 200)
            #expect(headers["content-type"].first?.hasPrefix("text/plain") == true)
            let values = Self.series(text)
            #expect(values[#"relay_requests_total{model="chat",backend="local",key="dev",status="200"}"#] == 2)
            #expect(values[#"relay_requests_total{model="unknown",backend="none",key="anonymous",status="401"}"#] == 1)
            #expect(values[#"relay_requests_total{model="unknown",backend="none",key="dev",status="404"}"#] == 50)
            #expect(values[#"relay_tokens_total{model="chat",key="dev",kind="prompt"}"#] == 18)
            #expect(values[#"relay_tokens_total{model="chat",key="dev",kind="completion"}"#] == 6)
            #expect(values[#"relay_request_duration_seconds_count{model="chat",backend="local"}"#] == 2)
            // In seconds: two requests to a local stub take more than nothing and far less than 5 s.
            let durationSum = values[#"relay_request_duration_seconds_sum{model="chat",backend="local"}"#] ?? 0
            #expect(durationSum > 0 && durationSum < 5)
            #expect(values[#"relay_backend_in_flight{backend="local"}"#] == 0)
            #expect(values[#"relay_backend_up{backend="local"}"#] == 1)
            #expect((values["relay_overhead_seconds_count"] ?? 0) >= 3)
            #expect((values["relay_overhead_seconds_sum"] ?? 0) > 0 && (values["relay_overhead_seconds_sum"] ?? 0) < 1)
            // Client-chosen model names never become series.
            #expect(!text.contains("random-"))
            #expect(!text.contains(Harness.key) && !text.contains("upstream-secret"))
        }
    }

    @Test func countsFallbacksWithTheirReason() async throws {
        try await Harness.run(configure: FallbackTests.withFallback("fail-500")) { harness in
            _ = try await harness.send("/v1/chat/completions", body: FallbackTests.body)
            let (_, _, text) = try await harness.send("/metrics", method: .GET, key: nil)
            let values = Self.series(text)
            #expect(values[#"relay_fallbacks_total{model="fo",from="local",to="second",reason="status_5xx"}"#] == 1)
        }
    }
}
