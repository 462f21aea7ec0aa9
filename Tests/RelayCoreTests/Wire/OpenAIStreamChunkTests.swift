import Testing

@testable import RelayCore
@testable import RelayWire

@Suite struct OpenAIStreamChunkTests {
    /// What the general scanner reads from the same bytes, member by member: the stream's
    /// single pass must agree with it on every event, well-formed or not.
    private struct Reading: Equatable {
        var id, object, created, usage, firstChoiceText: Range<Int>?
        var hasError: Bool
        var choiceCount: Int?
        /// The event with each `model` value replaced.
        var spliced: [UInt8]
    }

    private static let alias = Array(#""alias""#.utf8)

    private func reference(_ bytes: [UInt8]) -> Reading? {
        guard let object = try? JSONScanner.object(in: bytes) else { return nil }
        let choices = object.array("choices")
        let choice = choices?.first.flatMap { try? JSONScanner.object(in: bytes, range: $0) }
        return Reading(
            id: object.member("id")?.valueRange,
            object: object.member("object")?.valueRange,
            created: object.member("created")?.valueRange,
            usage: object.member("usage")?.valueRange,
            firstChoiceText: (choice?.object("delta")?.member("content") ?? choice?.member("text"))?.valueRange,
            hasError: object.member("error") != nil,
            choiceCount: choices?.count,
            spliced: spliced(object)
        )
    }

    private func spliced(_ object: JSONObject) -> [UInt8] {
        var out: [UInt8] = []
        object.append(replacingValuesOf: "model", with: Self.alias, to: &out)
        return out
    }

    private func reading(_ bytes: [UInt8]) -> Reading? {
        guard let chunk = try? OpenAIStreamChunk(scanning: bytes) else { return nil }
        var spliced: [UInt8] = []
        chunk.models.splice(bytes, replacingWith: Self.alias, into: &spliced)
        return Reading(
            id: chunk.id, object: chunk.object, created: chunk.created, usage: chunk.usage,
            firstChoiceText: chunk.firstChoiceText, hasError: chunk.hasError, choiceCount: chunk.choiceCount,
            spliced: spliced
        )
    }

    static let events = [
        #"{"id":"c1","object":"chat.completion.chunk","created":7,"model":"up","system_fingerprint":null,"choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"logprobs":null,"finish_reason":null}]}"#,
        #"{"id":"c1","choices":[],"usage":{"prompt_tokens":4,"completion_tokens":2,"total_tokens":6},"model":"up"}"#,
        #"{"id":"cmpl-1","object":"text_completion","choices":[{"index":0,"text":" world","finish_reason":null}],"model":"up"}"#,
        #" { "id" : "c1" , "model" : "up", "choices" : [ { "delta" : { "content" : "a\"b" } }, {"delta":{"content":"x"}} ] , "model":"up" } "#,
        #"{"choices":[{"delta":{"tool_calls":[{"function":{"arguments":"{}"}}]},"text":"t"}]}"#,
        #"{"choices":[{"delta":"not an object","text":"t"}]}"#,
        #"{"choices":["first is no object",{"delta":{"content":"x"}}]}"#,
        #"{"choices":{"not":"an array"},"usage":"not an object"}"#,
        #"{"choices":[{"delta":{"content":"1"}}],"choices":[{"delta":{"content":"22"}}],"id":"a","id":"b"}"#,
        #"{"choices":[{"delta":{"content":"1","content":"22"},"delta":{"content":"333"}}]}"#,
        #"{"mod\u0065l":"up","\u0069d":"c2","choices":[]}"#,
        #"{"error":{"message":"boom","type":"server_error"}}"#,
        #"{}"#,
        #"{"choices":[{}],"usage":{}}"#,
        // Malformed: each must be refused by both.
        #"{"choices":[{"delta":{"content":"x"}]}"#,
        #"{"choices":[{"delta":{"content":"x"}}]"#,
        #"{"choices":[{"delta":{"content":"x"}}]} trailing"#,
        #"{"id":"c1",}"#,
        #"{"choices":[1 2]}"#,
        #"{"choices":[{"delta":{"content":tru}}]}"#,
        "{\"choices\":[{\"delta\":{\"content\":\"\u{01}\"}}]}",
        #"{"model":"\q"}"#,
        #"["not an object"]"#,
        "",
    ]

    @Test(arguments: events)
    func readsWhatTheGeneralScannerReads(_ event: String) {
        let bytes = Array(event.utf8)
        #expect(reading(bytes) == reference(bytes))
    }

    /// A key that is not UTF-8 (here FF FE) fails the event at the top level, and deeper only the
    /// reading of its own object (the first choice, its `delta`), as with the general scanner.
    @Test func readsKeysThatAreNotUTF8AsTheGeneralScannerDoes() throws {
        func event(_ before: String, _ after: String) -> [UInt8] {
            Array(before.utf8) + [0xFF, 0xFE] + Array(after.utf8)
        }
        let atTop = event(#"{""#, #"":1,"choices":[]}"#)
        #expect(throws: JSONScanError.invalidUTF8) { try OpenAIStreamChunk(scanning: atTop) }
        #expect(reference(atTop) == nil)

        let inChoice = event(#"{"choices":[{"text":"t",""#, #"":1}]}"#)
        #expect(try OpenAIStreamChunk(scanning: inChoice).firstChoiceText == nil)
        #expect(reading(inChoice) == reference(inChoice))

        let inDelta = event(#"{"choices":[{"text":"t","delta":{"content":"c",""#, #"":1}}]}"#)
        let text = try #require(try OpenAIStreamChunk(scanning: inDelta).firstChoiceText)
        #expect(inDelta[text] == Array(#""t""#.utf8)[...])
        #expect(reading(inDelta) == reference(inDelta))
    }

    @Test func boundsTheDepthOfTheFirstChoiceWithoutRecursion() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let event = Array(#"{"choices":[{"delta":{"content":\#(deep)}}]}"#.utf8)
        #expect(throws: JSONScanError.tooDeep) { try OpenAIStreamChunk(scanning: event) }
    }

    @Test func splicesEveryRangeInOrder() {
        let text = Array(#"{"model":"a","x":1,"model":"bb"}"#.utf8)
        var ranges = SpliceRanges()
        ranges.append(9..<12)
        ranges.append(27..<31)
        var out: [UInt8] = []
        ranges.splice(text, replacingWith: Array(#""alias""#.utf8), into: &out)
        #expect(String(decoding: out, as: UTF8.self) == #"{"model":"alias","x":1,"model":"alias"}"#)
    }
}
