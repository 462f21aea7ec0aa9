import AsyncHTTPClient
import Foundation
import Testing

@testable import RelayCore

@Suite struct RateLimitHTTPTests {
    @Test func admitsUpToRPMThenAnswers429WithTheWindowState() async throws {
        try await Harness.run(configure: { $0.apiKeys[0].limits = Limits(rpm: 2, tpm: 100_000) }) { harness in
            for remaining in [1, 0] {
                let (status, headers, _) = try await harness.send("/v1/chat/completions", body: ProxyTests.chat)
                #expect(status == 200)
                #expect(headers["x-ratelimit-limit-requests"].first == "2")
                #expect(headers["x-ratelimit-remaining-requests"].first == String(remaining))
                #expect(headers["x-ratelimit-limit-tokens"].first == "100000")
                #expect(headers["x-ratelimit-reset-requests"].first?.hasSuffix("s") == true)
            }
            let (status, headers, body) = try await harness.send("/v1/chat/completions", body: ProxyTests.chat)
            #expect(status == 429)
            #expect(body.contains(#""type":"rate_limit_error""#) && body.contains(#""code":"rate_limit_exceeded""#))
            let retryAfter = try #require(headers["retry-after"].first.flatMap { Int($0) })
            #expect((1...60).contains(retryAfter))
            #expect(headers["x-ratelimit-remaining-requests"].first == "0")
            #expect(headers["x-should-retry"].isEmpty)
            #expect(harness.stub.requests.count == 2)
        }
    }

    @Test func aRequestThatCanNeverFitSaysSo() async throws {
        try await Harness.run(configure: { $0.apiKeys[0].limits = Limits(tpm: 100) }) { harness in
            let body = #"{"model":"chat","max_tokens":500,"messages":[]}"#
            let (status, headers, _) = try await harness.send("/v1/chat/completions", body: body)
            #expect(status == 429)
            #expect(headers["x-should-retry"].first == "false")
        }
    }

    @Test func settlesTokensToTheRealUsage() async throws {
        // 9 prompt + 3 completion tokens are charged, not the 1024 reserved by default.
        try await Harness.run(configure: { $0.apiKeys[0].limits = Limits(tpm: 2000) }) { harness in
            for _ in 0..<3 {
                let (status, _, _) = try await harness.send("/v1/chat/completions", body: ProxyTests.chat)
                #expect(status == 200)
            }
            let (_, headers, _) = try await harness.send("/v1/chat/completions", body: ProxyTests.chat)
            let remaining = try #require(headers["x-ratelimit-remaining-tokens"].first.flatMap { Int($0) })
            #expect(remaining < 2000 - 1024 && remaining > 2000 - 1024 - 3 * 12 - 30)
        }
    }
}
