import Testing

@testable import RelayWire

/// The hand-written scrubber gives, on random error texts, exactly what the NSRegularExpression
/// one it replaces gave (ReferenceUpstreamErrorScrubber): the same URLs and paths redacted, the
/// same spellings of the model's name replaced.
struct UpstreamErrorScrubberDifferentialTests {
    /// Pieces an error text is built from, each as likely as the others: the characters the
    /// location rules look at, the starts of locations, the model's name (its case changed at
    /// random), and characters outside ASCII that ICU treats as word characters (letters of other
    /// scripts, a combining accent, an Arabic-Indic digit, a connector, the joiners), as format
    /// characters (a soft hyphen) or as spaces (a no-break space, an ideographic space).
    private static let pieces: [String] = {
        let letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".map(String.init)
        let digits = "0123456789".map(String.init)
        let punctuation = #"/\:.,~-_@+%?!()[]{}"'<>;"#.map(String.init)
        let spaces = [" ", " ", " ", "\t", "\n"]
        let fragments = [
            "http://", "https://", "s3+x.y-z://", "C:\\", "d:\\", "~/", "/models/", "//", "./", "../", ":/",
        ]
        let unicode = [
            "é", "e\u{301}", "\u{301}", "ß", "İ", "ı", "Ж", "ж", "中", "𝒜", "٣", "‿", "\u{200C}", "\u{200D}",
            "\u{AD}", "\u{A0}", "\u{3000}", "😀", "\u{1F3FB}", "\u{E000}",
        ]
        return letters + letters + digits + punctuation + punctuation + spaces + spaces + fragments + fragments
            + unicode
    }()

    private func randomText(_ random: inout SplitMix64, model: String) -> String {
        let length = Int.random(in: 0...40, using: &random)
        var text = ""
        for _ in 0..<length {
            if !model.isEmpty, Int.random(in: 0..<12, using: &random) == 0 {
                text += String(model.map { Bool.random(using: &random) ? Character($0.uppercased()) : $0 })
            } else {
                text += Self.pieces.randomElement(using: &random)!
            }
        }
        return text
    }

    @Test(arguments: [
        ("Qwen2.5-7B-Instruct", "chat"),
        ("/models/llama-3", "llama"),
        ("llama3:8b", "models/x"),
        ("chat", "chat"),
        ("", "chat"),
    ])
    func randomTextsScrubAsTheReferenceDoes(model: String, alias: String) {
        var random = SplitMix64(seed: 0x5C2B_0001)
        let count = 20_000
        var differences: [String] = []
        var redacting = 0
        var naming = 0
        for _ in 0..<count {
            let text = randomText(&random, model: model)
            let expected = ReferenceUpstreamErrorScrubber.scrub(text, upstreamModel: model, alias: alias)
            if expected.contains(UpstreamErrorScrubber.redacted) { redacting += 1 }
            if expected.contains(alias) && !text.contains(alias) { naming += 1 }
            let scrubbed = UpstreamErrorScrubber.scrub(text, upstreamModel: model, alias: alias)
            if scrubbed.unicodeScalars.elementsEqual(expected.unicodeScalars) { continue }
            differences.append(
                "\(text.debugDescription) -> \(scrubbed.debugDescription), not \(expected.debugDescription)")
        }
        #expect(differences.isEmpty, "\(differences.count) differ, e.g. \(differences.prefix(5))")
        // The texts put both rules to work: locations to redact, names to replace.
        #expect(redacting > count / 5)
        let hidesModel = !model.isEmpty && model != alias
        #expect(hidesModel ? naming > count / 5 : naming == 0)
    }
}
