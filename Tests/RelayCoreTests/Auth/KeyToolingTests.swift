import Testing

@testable import RelayCore

@Suite("Key generation and hash text")
struct KeyToolingTests {
    @Test func generatedKeysAreRkIDAndSecretInBase62() {
        let key = GeneratedAPIKey.generate()
        #expect(key.text.hasPrefix("rk-"))
        #expect(key.text.count == 3 + 12 + 43)
        #expect(key.id.count == 12)
        #expect(Base62.isBase62(key.text.dropFirst(3)))
        #expect(key.text.dropFirst(3).hasPrefix(key.id))
        #expect(GeneratedAPIKey.generate().text != key.text)
    }

    @Test func theKeyIDIsFoundByPosition() {
        let key = GeneratedAPIKey.generate()
        let candidates = GeneratedAPIKey.idCandidates(in: key.text[...], lengths: [8, 12])
        #expect(candidates.map(String.init) == [String(key.id.prefix(8)), key.id])
        #expect(GeneratedAPIKey.idCandidates(in: "sk-\(key.id)abc", lengths: [12]).isEmpty)
        // An id needs a secret after it, and only base62 counts.
        #expect(GeneratedAPIKey.idCandidates(in: "rk-\(key.id)", lengths: [12]).isEmpty)
        #expect(GeneratedAPIKey.idCandidates(in: "rk-abc_defghijkXYZ", lengths: [12]).isEmpty)
    }

    @Test func base62EncodesFixedWidthBigEndian() {
        #expect(Base62.encode([0x01, 0x00], width: 4) == "0048")  // 256 = 4 × 62 + 8
        #expect(Base62.encode([0, 0], width: 3) == "000")
        let largest = Base62.encode(Array(repeating: 0xFF, count: 32), width: 43)
        #expect(largest.count == 43 && Base62.isBase62(largest))
    }

    @Test func base62RandomIsUnbiasedAlphabetOnly() {
        var generator = SystemRandomNumberGenerator()
        let text = Base62.random(count: 2000, using: &generator)
        #expect(text.count == 2000 && Base62.isBase62(text))
        #expect(Set(text).count > 55)
    }

    @Test func sha256TextIsLowercaseHex() {
        #expect(
            KeyHashText.sha256(of: "test")
                == "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
    }

    @Test(arguments: ["", "a\nb", "tab\there", " lead", "trail "])
    func keysThatCannotTravelInAHeaderAreRefused(key: String) {
        #expect(KeyHashText.problem(with: key) != nil)
    }

    @Test func ordinaryKeysAreFine() {
        #expect(KeyHashText.problem(with: GeneratedAPIKey.generate().text) == nil)
        #expect(KeyHashText.problem(with: "sk-from elsewhere") == nil)
    }
}
