import Testing

@testable import RelayWire

/// How the model's name is found in a backend's error text beyond ASCII: in another case where a
/// letter's case is one letter to one letter, whole characters only, and the text around it kept
/// as it was.
struct UpstreamErrorScrubberNameTests {
    private func scrub(_ text: String, model: String, alias: String = "chat") -> String {
        UpstreamErrorScrubber.scrub(text, upstreamModel: model, alias: alias)
    }

    @Test func lettersBeyondASCIIMatchInEitherCase() {
        #expect(scrub("МОДЕЛЬ-7B перегружена", model: "Модель-7b") == "chat перегружена")
        #expect(scrub("ÉCLAIR-2 et éclair-2", model: "Éclair-2") == "chat et chat")
        #expect(scrub("STRAẞE-1 and STRAßE-1 and straße-1", model: "Straße-1") == "chat and chat and chat")
        #expect(scrub("İSTANBUL-7B is busy", model: "İstanbul-7b") == "chat is busy")
    }

    @Test func spellingsOfAnotherLengthAreLeftAsWritten() {
        // Uppercase `ß` as `SS`, and `İ` lowercased as `i` with a combining dot, are not the
        // name letter for letter: the text stays as the backend wrote it, not half replaced.
        #expect(scrub("STRASSE-1 is busy", model: "straße-1") == "STRASSE-1 is busy")
        #expect(scrub("i\u{307}stanbul-7b is busy", model: "İstanbul-7b") == "i\u{307}stanbul-7b is busy")
    }

    @Test func aNameIsReplacedOnlyAsWholeCharacters() {
        // With a combining acute accent the name's last letter is another one (`ń`).
        #expect(scrub("qwen\u{301} is not qwen", model: "qwen") == "qwen\u{301} is not chat")
        #expect(scrub("qwén is not qwen", model: "qwen") == "qwén is not chat")
        #expect(scrub("qwen\u{1F3FB} and qwen's", model: "qwen") == "qwen\u{1F3FB} and chat's")
    }

    @Test func textAroundTheNameKeepsItsCharacters() {
        #expect(
            scrub("模型 Qwen2.5 加载失败：/opt/模型/qwen2.5/config.json。", model: "qwen2.5")
                == "模型 chat 加载失败：[redacted]。")
    }
}
