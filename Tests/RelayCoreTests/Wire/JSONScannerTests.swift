import Testing

@testable import RelayCore
@testable import RelayWire

@Suite struct JSONScannerTests {
    private func object(_ text: String) throws -> JSONObject {
        try JSONScanner.object(in: Array(text.utf8))
    }

    @Test func findsTopLevelMembersWhereverTheyStand() throws {
        let parsed = try object(#"{"messages":[{"model":"inner"}],"model":"qwen2.5","n":{"model":"x"}}"#)
        #expect(parsed.members.map(parsed.key(of:)) == ["messages", "model", "n"])
        #expect(parsed.string("model") == "qwen2.5")
    }

    @Test func decodesEscapesAndUnicode() throws {
        let parsed = try object(#"{"model":"a\"b\\c\u00e9\ud83d\ude00\n"}"#)
        #expect(parsed.string("model") == "a\"b\\cé😀\n")
    }

    @Test func matchesKeysAsTheyDecode() throws {
        let parsed = try object(#"{"mod\u0065l":"escaped","é":1,"model2":2}"#)
        #expect(parsed.members.map(parsed.key(of:)) == ["model", "é", "model2"])
        #expect(parsed.string("model") == "escaped")
        #expect(parsed.int("é") == 1)
        #expect(parsed.member("mode") == nil && parsed.member("model22") == nil)
        let notUTF8Key: [UInt8] = [0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D]  // {"\xFF":1}
        #expect(throws: JSONScanError.invalidUTF8) { try JSONScanner.object(in: notUTF8Key) }
    }

    @Test func readsTypedValues() throws {
        let parsed = try object(#" { "stream" : true , "max_tokens": 12, "t": 0.5, "x": null, "o": {"k": [1, 2]} } "#)
        #expect(parsed.bool("stream") == true)
        #expect(parsed.int("max_tokens") == 12)
        #expect(parsed.int("t") == nil)
        #expect(parsed.object("o")?.array("k")?.count == 2)
    }

    @Test(arguments: [
        "", "[]", "{", "{\"a\":}", "{\"a\":1,}", "{\"a\" 1}", "{\"a\":tru}", "{\"a\":1} x", "{\"a\":\"\u{01}\"}",
        "{\"a\":[1 2]}", "{\"a\":{\"b\":1]}", "{a:1}", "{\"a\":\"\\q\"}",
    ])
    func rejectsMalformedBodies(_ text: String) {
        #expect(throws: JSONScanError.self) { try object(text) }
    }

    @Test func boundsTheDepthWithoutRecursion() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONScanError.tooDeep) { try object("{\"a\":\(deep)}") }
        let fine = String(repeating: "[", count: 50) + String(repeating: "]", count: 50)
        #expect((try? object("{\"a\":\(fine)}")) != nil)
    }

    @Test func tellsObjectsFromArraysPastSixtyFourLevels() {
        // Past 64 levels the open containers are kept in an array, not bits of a word.
        let opened = String(repeating: #"{"k":["#, count: 50)
        let closed = String(repeating: "]}", count: 50)
        #expect((try? object("{\"a\":\(opened)1\(closed)}")) != nil)
        let crossed = String(repeating: "}]", count: 50)
        #expect(throws: JSONScanError.unexpectedByte) { try object("{\"a\":\(opened)1\(crossed)}") }
    }

    @Test func encodesStringsThatRoundTrip() throws {
        let value = "quote\" slash\\ newline\n tab\t bell\u{07} é"
        let encoded = JSONString.encode(value)
        let parsed = try JSONScanner.object(in: Array("{\"v\":".utf8) + encoded + [UInt8(ascii: "}")])
        #expect(parsed.string("v") == value)
    }

    @Test(arguments: [
        "", "-", "+", "0", "-0", "12", "+12", "-12", "00012", "1.0", "1e3", "12a", " 1", "--1",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
        "99999999999999999999",
    ])
    func readsWholeNumbersAsIntDoes(text: String) {
        #expect(JSONObject.wholeNumber(ArraySlice(text.utf8)) == Int(text))
    }
}
