/// Finds the internal locations in a backend's error text: URLs with a scheme, Unix paths of two
/// segments or more (`~/` ones too) and Windows paths. The text is scanned from the left; at
/// each position a URL is tried first, then a Unix path, then a Windows path, and the scan goes
/// on after the location found.
///
/// Words and spaces are Unicode's, as ICU's regular expressions define `\w`, `\b` and `\s`:
/// a word character is a letter of any script, a mark, a decimal digit, connector punctuation
/// (`_`) or a zero-width (non-)joiner; a space is any White_Space character.
struct InternalLocationScanner {
    private let text: [Unicode.Scalar]
    /// Where the run of scheme characters around the current position ends: the scan tries a URL
    /// after every `-`, `.` or `+` of a long token, and each try would scan the token's rest.
    private var schemeRunEnd = 0

    init(_ text: [Unicode.Scalar]) {
        self.text = text
    }

    /// The text with each location replaced by `replacement`.
    mutating func redacted(with replacement: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(text.count)
        var index = 0
        while index < text.count {
            if let end = locationEnd(startingAt: index) {
                result.append(contentsOf: replacement)
                index = end
            } else {
                result.append(text[index])
                index += 1
            }
        }
        return result
    }

    // MARK: - The locations

    /// The end of the location that starts at `start`, if one does: a URL or a Windows path
    /// starts with a letter, a Unix path with `/` or `~`.
    private mutating func locationEnd(startingAt start: Int) -> Int? {
        switch text[start] {
        case "a"..."z", "A"..."Z": return urlEnd(startingAt: start) ?? windowsPathEnd(startingAt: start)
        case "/", "~": return unixPathEnd(startingAt: start)
        default: return nil
        }
    }

    /// The end of the URL that starts at `start`, if one does. A URL starts a word with its
    /// scheme (an ASCII letter, then ASCII letters, digits, `+`, `.` or `-`), then `://`, and
    /// runs up to a space, a quote, an angle bracket or a bracket of any kind; punctuation that
    /// ends a sentence (`.,;:!?`) is not part of the URL before it.
    private mutating func urlEnd(startingAt start: Int) -> Int? {
        guard isASCIILetter(start), startsWord(start) else { return nil }
        if schemeRunEnd <= start {
            schemeRunEnd = end(of: isSchemeCharacter, from: start + 1)
        }
        let bodyStart = schemeRunEnd + 3
        guard bodyStart <= text.count, text[schemeRunEnd..<bodyStart].elementsEqual("://".unicodeScalars) else {
            return nil
        }
        let bodyEnd = end(of: isURLCharacter, from: bodyStart)
        guard let last = text[bodyStart..<bodyEnd].lastIndex(where: isURLEndCharacter) else { return nil }
        return last + 1
    }

    /// The end of the Unix path that starts at `start`, if one does. A Unix path starts with `/`
    /// or `~/` where no word, `.`, `:`, `/`, `~` or `-` comes right before it (so neither
    /// `meta-llama/Llama-3` nor the `//` of a URL starts one), has at least one segment that
    /// ends in `/`, and may end in a last segment. Segments are made of word characters and
    /// `.-~@+%` (and the model's stand-in, so a path that names the model is redacted whole);
    /// a full stop after a path ends the sentence, not the path.
    private func unixPathEnd(startingAt start: Int) -> Int? {
        var segmentStart = start
        if text[segmentStart] == "~" { segmentStart += 1 }
        guard segmentStart < text.count, text[segmentStart] == "/" else { return nil }
        if start > 0 {
            switch text[start - 1] {
            case ".", ":", "/", "~", "-": return nil
            case let before where isWordCharacter(before): return nil
            default: break
            }
        }
        segmentStart += 1
        var segmentEnd = end(of: isPathCharacter, from: segmentStart)
        var foundSegment = false
        while segmentEnd > segmentStart, segmentEnd < text.count, text[segmentEnd] == "/" {
            foundSegment = true
            segmentStart = segmentEnd + 1
            segmentEnd = end(of: isPathCharacter, from: segmentStart)
        }
        guard foundSegment else { return nil }
        // Without a last segment the path ends with its last `/`.
        guard let last = text[segmentStart..<segmentEnd].lastIndex(where: { $0 != "." }) else { return segmentStart }
        return last + 1
    }

    /// The end of the Windows path that starts at `start`, if one does. A Windows path starts a
    /// word with a drive (an ASCII letter, `:`, `\`) and runs up to a space, a quote or an angle
    /// bracket.
    private func windowsPathEnd(startingAt start: Int) -> Int? {
        guard start + 2 < text.count, isASCIILetter(start), text[start + 1] == ":", text[start + 2] == "\\",
            startsWord(start)
        else { return nil }
        return end(of: isWindowsPathCharacter, from: start + 3)
    }

    // MARK: - Characters

    /// Where the run of characters that `belongs` accepts, from `start` on, ends.
    private func end(of belongs: (Unicode.Scalar) -> Bool, from start: Int) -> Int {
        var index = start
        while index < text.count, belongs(text[index]) { index += 1 }
        return index
    }

    private func isASCIILetter(_ index: Int) -> Bool {
        ("a"..."z").contains(text[index]) || ("A"..."Z").contains(text[index])
    }

    /// Whether a word starts at `index`, which holds a word character: the character before it
    /// is not a word character. As in ICU, combining marks and format characters (a soft
    /// hyphen, a zero-width joiner) before it are skipped: they do not end the word they follow.
    private func startsWord(_ index: Int) -> Bool {
        var before = index
        while before > 0 {
            before -= 1
            let scalar = text[before]
            if scalar.isASCII || !(scalar.properties.isGraphemeExtend || scalar.properties.generalCategory == .format) {
                return !isWordCharacter(scalar)
            }
        }
        return true
    }

    private func isWordCharacter(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", "_": return true
            default: return false
            }
        }
        let properties = scalar.properties
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
        default: return properties.isAlphabetic || scalar == "\u{200C}" || scalar == "\u{200D}"
        }
    }

    private func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCII ? scalar == " " || ("\t"..."\r").contains(scalar) : scalar.properties.isWhitespace
    }

    private func isSchemeCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "+", ".", "-": return true
        default: return false
        }
    }

    private func isURLCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "\"", "'", "<", ">", "(", ")", "[", "]", "{", "}": return false
        default: return !isSpace(scalar)
        }
    }

    private func isURLEndCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case ".", ",", ";", ":", "!", "?": return false
        default: return true
        }
    }

    private func isPathCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case ".", "-", "~", "@", "+", "%", UpstreamErrorScrubber.modelMark: return true
        default: return isWordCharacter(scalar)
        }
    }

    private func isWindowsPathCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "\"", "'", "<", ">": return false
        default: return !isSpace(scalar)
        }
    }
}
