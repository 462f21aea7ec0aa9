import Testing

@testable import RelayCore
@testable import RelayWire

@Suite struct ClientRequestTests {
    private func parse(_ text: String) throws(ClientRequestError) -> ClientRequest {
        try ClientRequest(body: Array(text.utf8))
    }

    @Test func readsWhatRoutingAndLimitsNeed() throws {
        let request = try parse(
            #"{"messages":[{"role":"user","content":"hi"}],"stream":true,"max_tokens":5,"max_completion_tokens":7,"stream_options":{"include_usage":true},"model":"m"}"#
        )
        #expect(request.model == "m")
        #expect(request.stream)
        #expect(request.maxTokens == 7)
        #expect(request.includeUsage)
        #expect(request.promptBytes == #"[{"role":"user","content":"hi"}]"#.utf8.count)
    }

    @Test func defaultsWhenFieldsAreAbsentOrNull() throws {
        let request = try parse(#"{"model":"m","stream":null,"max_tokens":null,"stream_options":null}"#)
        #expect(!request.stream)
        #expect(request.maxTokens == nil)
        #expect(!request.includeUsage)
    }

    @Test(arguments: [
        "model", "stream", "max_tokens", "max_completion_tokens", "stream_options", "messages", "prompt", "input",
        "n", "encoding_format",
    ])
    func rejectsDuplicatedKeysAnUpstreamCouldReadTwice(_ key: String) {
        let values = [
            "model": "\"m\"", "stream": "true", "stream_options": "{}", "messages": "[]", "prompt": "\"p\"",
            "input": "\"i\"", "encoding_format": "\"float\"",
        ]
        let value = values[key] ?? "1"
        let body = "{\"model\":\"m\",\"\(key)\":\(value),\"\(key)\":\(value)}"
        #expect(throws: ClientRequestError(message: "duplicate key \"\(key)\" in the body", param: key)) {
            try parse(key == "model" ? "{\"model\":\"m\",\"model\":\"n\"}" : body)
        }
    }

    @Test func aDuplicatedIncludeUsageIsRejected() {
        let error = ClientRequestError(
            message: "duplicate key \"stream_options.include_usage\" in the body", param: "stream_options")
        #expect(throws: error) {
            try parse(#"{"model":"m","stream_options":{"include_usage":true,"include_usage":false}}"#)
        }
    }

    @Test func duplicatesElsewhereAreTheClientsBusiness() throws {
        #expect(try parse(#"{"model":"m","temperature":1,"temperature":2}"#).model == "m")
    }

    @Test func everyPromptFieldPresentCountsTowardTheEstimate() throws {
        let request = try parse(#"{"model":"m","messages":[],"prompt":"abc","input":"x"}"#)
        #expect(request.promptBytes == 2 + 5 + 3)
    }

    @Test func theCompletionBudgetCoversEveryChoice() throws {
        #expect(try parse(#"{"model":"m","max_tokens":10,"n":4}"#).completionBudget(default: 99) == 40)
        #expect(try parse(#"{"model":"m","n":3}"#).completionBudget(default: 100) == 300)
        #expect(try parse(#"{"model":"m","n":null}"#).completionBudget(default: 100) == 100)
        #expect(try parse(#"{"model":"m","max_tokens":7}"#).completionBudget(default: 100) == 7)
        let huge = try parse(#"{"model":"m","max_tokens":4294967295,"n":4294967295}"#)
        #expect(huge.completionBudget(default: 1) == Usage.maxCount)
    }

    @Test(arguments: ["0", "-1", "1.5", "\"2\"", "true", "4294967296"])
    func nMustBeAPositiveInteger(_ value: String) {
        #expect(throws: ClientRequestError(message: "n must be a positive integer", param: "n")) {
            try parse("{\"model\":\"m\",\"n\":\(value)}")
        }
    }

    @Test func aKeySpelledWithEscapesIsTheSameField() throws {
        #expect(throws: ClientRequestError(message: "duplicate key \"model\" in the body", param: "model")) {
            try parse(#"{"model":"m","mod\u0065l":"n"}"#)
        }
        #expect(throws: ClientRequestError(message: "stream must be a boolean", param: "stream")) {
            try parse(#"{"model":"m","str\u0065am":1}"#)
        }
        // Fields are told apart by their whole key, not its length.
        #expect(try parse(#"{"model":"m","modem":1,"inputs":2,"streams":3,"prompts":[]}"#).promptBytes == 0)
    }

    @Test func explainsWrongTypes() {
        #expect(throws: ClientRequestError(message: "model must be a string", param: "model")) {
            try parse(#"{"model":5}"#)
        }
        #expect(throws: ClientRequestError(message: "you must provide a model parameter", param: "model")) {
            try parse(#"{"messages":[]}"#)
        }
        #expect(throws: ClientRequestError(message: "stream must be a boolean", param: "stream")) {
            try parse(#"{"model":"m","stream":"yes"}"#)
        }
        #expect(throws: ClientRequestError(message: "max_tokens must be a non-negative integer", param: "max_tokens")) {
            try parse(#"{"model":"m","max_tokens":1.5}"#)
        }
        #expect(throws: ClientRequestError(message: "the body is not valid JSON", param: nil)) {
            try parse(#"{"model":"m""#)
        }
    }
}
