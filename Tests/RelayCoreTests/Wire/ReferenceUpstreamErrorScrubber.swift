import Foundation

/// The scrubber as it was written on NSRegularExpression and Foundation's case-insensitive
/// search, kept unchanged as the reference the hand-written scanner is compared with
/// (UpstreamErrorScrubberDifferentialTests).
enum ReferenceUpstreamErrorScrubber {
    static let redacted = "[redacted]"

    /// URLs with a scheme, Unix paths of two segments or more (`~/` ones too), Windows paths.
    private static let internalLocations: NSRegularExpression = {
        // Punctuation that ends a sentence is not part of the URL before it.
        let url = #"\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s"'<>()\[\]{}]*[^\s"'<>()\[\]{}.,;:!?]"#
        // The model's stand-in counts as a path's character: a path that names the model is
        // redacted whole. A sentence's full stop after a path is not part of it.
        let pathByte = #"[\w.\-~@+%\x{E000}]"#
        let lastPathByte = #"[\w\-~@+%\x{E000}]"#
        let unixPath = #"(?<![\w.:/~\-])~?/(?:"# + pathByte + "+/)+(?:" + pathByte + "*" + lastPathByte + ")?"
        let windowsPath = #"\b[A-Za-z]:\\[^\s"'<>]*"#
        // The patterns are constants: a failure here is a typo, found by the first test.
        return try! NSRegularExpression(pattern: "\(url)|\(unixPath)|\(windowsPath)")
    }()

    /// A stand-in for the model's name while locations are redacted, so that a name which looks
    /// like a path (vLLM serves `/models/llama-3` under that name) becomes the alias, not
    /// `[redacted]`: alone, it matches no pattern above.
    private static let modelMark = "\u{E000}"

    static func scrub(_ text: String, upstreamModel: String, alias: String) -> String {
        var text = text
        let hidesModel = !upstreamModel.isEmpty && upstreamModel != alias
        if hidesModel {
            text = text.replacingOccurrences(of: upstreamModel, with: modelMark, options: .caseInsensitive)
        }
        let whole = NSRange(text.startIndex..., in: text)
        text = internalLocations.stringByReplacingMatches(
            in: text, range: whole, withTemplate: NSRegularExpression.escapedTemplate(for: redacted))
        return hidesModel ? text.replacingOccurrences(of: modelMark, with: alias) : text
    }
}
