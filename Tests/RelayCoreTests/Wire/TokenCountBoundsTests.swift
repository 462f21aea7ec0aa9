import Testing

@testable import RelayCore
@testable import RelayWire

/// Token counts from clients and upstreams are added up (the limiter's estimate, `total_tokens`,
/// the limiter's windows); an Int.max among them used to overflow the sum and stop the process.
/// Found by Fuzz/FuzzOllamaStream.
@Suite struct TokenCountBoundsTests {
    @Test(arguments: ["max_tokens", "max_completion_tokens"])
    func refusesATokenBudgetTooLargeToAddUp(_ key: String) {
        #expect(throws: ClientRequestError(message: "\(key) must be at most 4294967295", param: key)) {
            try ClientRequest(body: Array(#"{"model":"m","messages":[],"\#(key)":9223372036854775807}"#.utf8))
        }
        let largest = try? ClientRequest(body: Array(#"{"model":"m","\#(key)":4294967295}"#.utf8))
        #expect(largest?.maxTokens == 4_294_967_295)
    }

    @Test func clampsAnUpstreamsOpenAIUsageCounts() throws {
        let bytes = Array(#"{"prompt_tokens":9223372036854775807,"completion_tokens":-5}"#.utf8)
        let usage = try #require(Usage(bytes, range: bytes.indices))
        #expect(usage == Usage(promptTokens: Usage.maxCount, completionTokens: 0))
        #expect(
            String(decoding: usage.json, as: UTF8.self)
                == #"{"prompt_tokens":4294967295,"completion_tokens":0,"total_tokens":4294967295}"#)
    }

    @Test func anOllamaStreamWithHugeCountsEndsWithTheUsageChunk() {
        var translator = OllamaStreamTranslator(
            kind: .completion, alias: "m", upstreamModel: "m:7b", clientWantsUsage: true, promptEstimate: 1,
            id: OpenAIResponseID(prefix: "cmpl-", random: "t"), now: 5)
        var out: [UInt8] = []
        translator.translate(
            Array(#"{"response":"","done":true,"prompt_eval_count":9223372036854775807,"eval_count":1}"#.utf8) + [10],
            into: &out)
        let text = String(decoding: out, as: UTF8.self)
        #expect(translator.sawDone)
        #expect(translator.usage == Usage(promptTokens: 4_294_967_295, completionTokens: 1))
        #expect(text.contains(#""usage":{"prompt_tokens":4294967295,"completion_tokens":1,"total_tokens":4294967296}"#))
        #expect(text.hasSuffix("data: [DONE]\n\n"))
    }

    @Test func settlingHugeCountsKeepsTheLimiterCounting() async throws {
        let limiter = InProcessRateLimiter()
        let key = testPrincipal(tpm: 100)
        let reservation = try #require(await limiter.reserve(key, estimatedTokens: 10).reservation)
        await limiter.settle(reservation, usage: Usage(promptTokens: .max, completionTokens: .max))
        #expect(await limiter.reserve(key, estimatedTokens: 1).rejection?.limit == .tpm)
        #expect(await limiter.reserve(key, estimatedTokens: 1).rejection?.limit == .tpm)
    }
}
