import Testing

@testable import RelayCore
@testable import RelayWire

/// An upstream's `usage` object, read in one walk, gives what its members read one by one give.
struct UsageTests {
    @Test(arguments: [
        #"{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}"#,
        #"{"prompt_tokens":7}"#,
        #"{"completion_tokens":3}"#,
        #"{"prompt_tokens":"12","completion_tokens":3}"#,
        #"{"prompt_tokens":1.5,"completion_tokens":3}"#,
        #"{"prompt_tokens":7,"completion_tokens":true}"#,
        #"{"prompt_tokens":7,"prompt_tokens":9,"completion_tokens":1,"completion_tokens":2}"#,
        #"{"prompt_tokens":5,"prompt_tokens_details":{"cached_tokens":2},"completion_tokens":1}"#,
        #"{ "prompt\u005ftokens" : 4 , "completion_tokens" : 2 }"#,
        #"{}"#, #"[1]"#, #"{"prompt_tokens":5} x"#, #"{"prompt_tokens":5"#,
    ])
    func readsAsItsMembersRead(text: String) {
        let bytes = Array(text.utf8)
        let byMembers = (try? JSONScanner.object(in: bytes)).flatMap { object in
            object.int("prompt_tokens").map {
                Usage(promptTokens: $0, completionTokens: object.int("completion_tokens") ?? 0)
            }
        }
        #expect(Usage(bytes, range: bytes.indices) == byMembers)
    }

    @Test func readsTheObjectWithinALargerBody() throws {
        let bytes = Array(#"{"id":"x","usage":{"prompt_tokens":9,"completion_tokens":4},"model":"m"}"#.utf8)
        let usage = try #require(JSONScanner.object(in: bytes).member("usage"))
        #expect(Usage(bytes, range: usage.valueRange) == Usage(promptTokens: 9, completionTokens: 4))
    }
}
