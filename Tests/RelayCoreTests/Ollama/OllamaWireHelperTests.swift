import Testing

@testable import RelayCore
@testable import RelayWire

@Suite struct OllamaWireHelperTests {
    @Test func timestampsAsGoPrintsThem() {
        #expect(OllamaTimestamp.unixSeconds("2023-12-12T14:13:43.416799Z") == 1_702_390_423)
        #expect(OllamaTimestamp.unixSeconds("2023-08-04T08:52:19.385406455-07:00") == 1_691_164_339)
        #expect(OllamaTimestamp.unixSeconds("2024-12-06T00:46:58+00:00") == 1_733_446_018)
        #expect(OllamaTimestamp.unixSeconds("1970-01-01T00:00:00Z") == 0)
        #expect(OllamaTimestamp.unixSeconds("2024-02-29T12:00:00.5+05:30") == 1_709_188_200)
        #expect(OllamaTimestamp.unixSeconds("2023-08-04 08:52:19") == nil)
        #expect(OllamaTimestamp.unixSeconds("2023-13-04T08:52:19Z") == nil)
        #expect(OllamaTimestamp.unixSeconds("") == nil)
    }

    @Test func base64AsRFC4648() {
        #expect(Base64Encoding.encode([]) == [])
        #expect(OllamaTestSupport.text(Base64Encoding.encode(Array("f".utf8))) == "Zg==")
        #expect(OllamaTestSupport.text(Base64Encoding.encode(Array("fo".utf8))) == "Zm8=")
        #expect(OllamaTestSupport.text(Base64Encoding.encode(Array("foo".utf8))) == "Zm9v")
        #expect(OllamaTestSupport.text(Base64Encoding.encode(Array("foob".utf8))) == "Zm9vYg==")
        #expect(OllamaTestSupport.text(Base64Encoding.encode([0xFB, 0xFF, 0xBF])) == "+/+/")
    }

    @Test func compactionKeepsStringsIntact() {
        let pretty = Array("{ \"a b\" : [ 1, \"x \\\" y\" ],\n\t\"c\": {} }".utf8)
        #expect(OllamaTestSupport.text(JSONCompaction.compact(pretty[...])) == #"{"a b":[1,"x \" y"],"c":{}}"#)
    }

    @Test func responseIDsAreRandomAndNameTheirToolCalls() {
        let first = OpenAIResponseID.chatCompletion()
        #expect(first.id.hasPrefix("chatcmpl-") && first.id.count == 33)
        #expect(first != OpenAIResponseID.chatCompletion())
        #expect(OpenAIResponseID.completion().id.hasPrefix("cmpl-"))
        #expect(OllamaTestSupport.chatID.toolCallID(3) == "call_test_3")
    }

    @Test func finishReasons() {
        #expect(OllamaFinishReason.openAI(doneReason: "stop", calledTools: false) == "stop")
        #expect(OllamaFinishReason.openAI(doneReason: "length", calledTools: false) == "length")
        #expect(OllamaFinishReason.openAI(doneReason: "stop", calledTools: true) == "tool_calls")
        #expect(OllamaFinishReason.openAI(doneReason: nil, calledTools: false) == "stop")
        #expect(OllamaFinishReason.openAI(doneReason: "unload", calledTools: false) == "stop")
    }
}

@Suite struct OllamaTagsTests {
    private let body = Array(
        """
        {
          "models": [
            {"name": "codellama:13b", "model": "codellama:13b", "size": 7365960935, "details": {"format": "gguf"}},
            {"name": "llama3:latest", "modified_at": "2023-12-07T09:32:18.757212583-08:00"},
            {"model": "registry.local:5000/team/qwen2.5:7b"}
          ]
        }
        """.utf8)

    @Test func namesOfThePulledModels() {
        #expect(
            OllamaTags.modelNames(in: body) == [
                "codellama:13b", "llama3:latest", "registry.local:5000/team/qwen2.5:7b",
            ])
        #expect(OllamaTags.modelNames(in: Array("{}".utf8)) == nil)
    }

    @Test func aNameWithoutATagMeansLatest() throws {
        let names = try #require(OllamaTags.modelNames(in: body))
        #expect(OllamaTags.contains("llama3", in: names))
        #expect(OllamaTags.contains("codellama:13b", in: names))
        #expect(!OllamaTags.contains("codellama", in: names))
        #expect(OllamaTags.contains("registry.local:5000/team/qwen2.5:7b", in: names))
        #expect(!OllamaTags.contains("registry.local:5000/team/qwen2.5", in: names))
    }
}
