/// Makes the text of a backend's error (its `message`, its `param`) fit for the client: the
/// upstream model's name, in any letter case, becomes the alias the client knows the model by,
/// and URLs and absolute file paths (a backend's `base_url`, its model directory) become
/// `[redacted]`. Used on error answers only, never on the way of a successful request.
///
/// "In any letter case" means: letters whose case is one letter to one letter (all of ASCII,
/// accented Latin, Greek, Cyrillic, …) match in either case. Spellings that change the name's
/// length are not matched: `STRASSE` for `straße`, `i̇` (`i` and a combining dot, Python's
/// lowercase of `İ`) for `İ`; nor is an accented letter written as its base letter and a
/// combining accent where the name has the precomposed one. Model names are ASCII in practice
/// (Hugging Face repositories, Ollama tags, file paths). A name is replaced only as whole
/// characters: not when a combining mark follows it, which would make its last letter another.
package enum UpstreamErrorScrubber {
    static let redacted = "[redacted]"

    /// A stand-in for the model's name while locations are redacted, so that a name which looks
    /// like a path (vLLM serves `/models/llama-3` under that name) becomes the alias, not
    /// `[redacted]`: alone, it matches no location rule, and inside a path it counts as one of
    /// the path's characters, so a path that names the model is redacted whole.
    static let modelMark: Unicode.Scalar = "\u{E000}"

    package static func scrub(_ text: String, upstreamModel: String, alias: String) -> String {
        var scalars = Array(text.unicodeScalars)
        let hidesModel = !upstreamModel.isEmpty && upstreamModel != alias
        if hidesModel {
            scalars = replacingOccurrences(of: Array(upstreamModel.unicodeScalars), in: scalars, with: [modelMark])
        }
        var locations = InternalLocationScanner(scalars)
        scalars = locations.redacted(with: Array(redacted.unicodeScalars))
        if hidesModel {
            scalars = replacingOccurrences(of: [modelMark], in: scalars, with: Array(alias.unicodeScalars))
        }
        return string(scalars)
    }

    /// `text` with every occurrence of `name`, leftmost first and not overlapping, replaced by
    /// `replacement`; letters are compared without case (see the type's comment).
    static func replacingOccurrences(
        of name: [Unicode.Scalar], in text: [Unicode.Scalar], with replacement: [Unicode.Scalar]
    ) -> [Unicode.Scalar] {
        guard !name.isEmpty, name.count <= text.count else { return text }
        let name = name.map(CaselessScalar.init)
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(text.count)
        var index = 0
        while index < text.count {
            if namesAt(index, name, in: text) {
                result.append(contentsOf: replacement)
                index += name.count
            } else {
                result.append(text[index])
                index += 1
            }
        }
        return result
    }

    /// Whether `text` spells `name` from `start` on, as whole characters.
    private static func namesAt(_ start: Int, _ name: [CaselessScalar], in text: [Unicode.Scalar]) -> Bool {
        let end = start + name.count
        guard end <= text.count else { return false }
        for offset in 0..<name.count where !name[offset].matches(text[start + offset]) {
            return false
        }
        return end == text.count || !continuesCharacter(text[end])
    }

    /// A combining mark (or an emoji's skin tone) after a name's last letter makes it part of
    /// another character: `qwen` followed by U+0301 ends in `ń`, not in `n`.
    private static func continuesCharacter(_ scalar: Unicode.Scalar) -> Bool {
        !scalar.isASCII && (scalar.properties.isGraphemeExtend || scalar.properties.isEmojiModifier)
    }

    private static func string(_ scalars: [Unicode.Scalar]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(scalars.count)
        for scalar in scalars {
            if scalar.isASCII {
                bytes.append(UInt8(scalar.value))
            } else {
                bytes.append(contentsOf: UTF8.encode(scalar)!)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// One scalar of a name, to compare with the text's without case: the same scalar, or the same
/// letter in another case (ASCII letters by folding, others by their lowercase forms, so the
/// Kelvin sign `K` is a `k`).
private struct CaselessScalar {
    let scalar: Unicode.Scalar
    /// The lowercase form of a letter that has case.
    let lowercase: String?

    init(_ scalar: Unicode.Scalar) {
        self.scalar = scalar
        lowercase = scalar.properties.changesWhenCaseMapped ? scalar.properties.lowercaseMapping : nil
    }

    func matches(_ other: Unicode.Scalar) -> Bool {
        if other == scalar { return true }
        guard let lowercase else { return false }
        if scalar.isASCII && other.isASCII { return Self.asciiLowercase(other) == Self.asciiLowercase(scalar) }
        return other.properties.changesWhenCaseMapped && other.properties.lowercaseMapping == lowercase
    }

    private static func asciiLowercase(_ scalar: Unicode.Scalar) -> UInt32 {
        ("A"..."Z").contains(scalar) ? scalar.value + 0x20 : scalar.value
    }
}
