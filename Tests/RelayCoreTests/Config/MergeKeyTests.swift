import Testing

@testable import RelayCore

@Suite("YAML merge keys")
struct MergeKeyTests {
    @Test func keysWrittenOutWinOverMergedOnesAndEarlierMergesOverLater() throws {
        let config = try parseValid(
            """
            backends:
              small: &small
                type: vllm
                base_url: http://10.0.0.5:8000
                max_concurrency: 2
              big: &big
                type: ollama
                base_url: http://10.0.0.6:11434
                max_concurrency: 16
              mixed:
                <<: [*small, *big]
                base_url: http://10.0.0.7:8000
              reversed:
                base_url: http://10.0.0.8:11434
                <<: [*big, *small]
            """
        )
        let mixed = try #require(config.backends["mixed"])
        #expect(mixed.baseURL == "http://10.0.0.7:8000")
        #expect(mixed.type == .vllm)
        #expect(mixed.maxConcurrency == 2)
        let reversed = try #require(config.backends["reversed"])
        #expect(reversed.baseURL == "http://10.0.0.8:11434")
        #expect(reversed.type == .ollama)
        #expect(reversed.maxConcurrency == 16)
    }

    @Test func mergingSomethingOtherThanAMappingIsAProblem() {
        let lines = problemLines(
            """
            backends:
              a:
                <<: [not-a-mapping]
                type: vllm
                base_url: http://10.0.0.5:8000
            """
        )
        #expect(lines == [#"backends.a.<<: expected a mapping to merge, got "not-a-mapping""#])
    }
}
