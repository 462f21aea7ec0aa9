/// The type of a plain scalar without a tag, by the YAML 1.1 rules LibYAML's users apply (and
/// Yams applies by default): the first rule the whole text matches wins, in the order bool, int,
/// float, merge, null, timestamp, value; anything else is text.
///
/// Each rule is matched by hand on the UTF-8 bytes, since every one of them is ASCII. As with the
/// regular expressions these rules are usually written as, a match may end before one final line
/// break (`8080\n` is an integer).
package enum YAMLImplicitTag {
    package static func resolve(_ text: String) -> YAMLTag {
        let bytes = Array(text.utf8)
        let candidates = [bytes[...]] + withoutFinalLineBreak(bytes[...])
        for (tag, matches) in rules where candidates.contains(where: matches) {
            return tag
        }
        return .str
    }

    private static let rules: [(YAMLTag, @Sendable (ArraySlice<UInt8>) -> Bool)] = [
        (.bool, isBool), (.int, isInt), (.float, isFloat), (.merge, { $0.elementsEqual("<<".utf8) }),
        (.null, isNull), (.timestamp, isTimestamp), (.value, { $0.elementsEqual("=".utf8) }),
    ]

    // MARK: The rules

    private static let boolWords = [
        "yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE",
        "on", "On", "ON", "off", "Off", "OFF",
    ]

    private static func isBool(_ text: ArraySlice<UInt8>) -> Bool {
        boolWords.contains { text.elementsEqual($0.utf8) }
    }

    /// `~`, `null`, `Null`, `NULL` or nothing at all.
    private static func isNull(_ text: ArraySlice<UInt8>) -> Bool {
        text.isEmpty || ["~", "null", "Null", "NULL"].contains { text.elementsEqual($0.utf8) }
    }

    /// `[-+]?` then `0b[01_]+`, `0x[0-9a-fA-F_]+`, `0o?[0-7_]+`, `0`, `[1-9][0-9_]*`, or base 60:
    /// `[1-9][0-9_]*(:[0-5]?[0-9])+`.
    private static func isInt(_ text: ArraySlice<UInt8>) -> Bool {
        let unsigned = droppingSign(text)
        guard let first = unsigned.first else { return false }
        if first == UInt8(ascii: "0") {
            let rest = unsigned.dropFirst()
            switch rest.first {
            case nil: return true
            case UInt8(ascii: "b"): return isNonEmpty(rest.dropFirst(), all: { $0 == 0x30 || $0 == 0x31 || $0 == 0x5F })
            case UInt8(ascii: "x"): return isNonEmpty(rest.dropFirst(), all: { isHexDigit($0) || $0 == 0x5F })
            case UInt8(ascii: "o"): return isNonEmpty(rest.dropFirst(), all: isOctalDigitOrSeparator)
            default: return rest.allSatisfy(isOctalDigitOrSeparator)
            }
        }
        guard isDigit(first) else { return false }
        let head = unsigned.prefix { isDigit($0) || $0 == 0x5F }
        return head.endIndex == unsigned.endIndex || isSexagesimalTail(unsigned[head.endIndex...], thenFraction: false)
    }

    /// `[-+]?[0-9][0-9_]*(\.[0-9_]*)?([eE][-+]?[0-9]+)?`, `\.[0-9_]+([eE][-+][0-9]+)?`, base 60
    /// `[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*`, `[-+]?\.inf` or `\.nan` (lower, title or upper
    /// case).
    private static func isFloat(_ text: ArraySlice<UInt8>) -> Bool {
        if [".nan", ".NaN", ".NAN"].contains(where: { text.elementsEqual($0.utf8) }) { return true }
        if text.first == UInt8(ascii: ".") {
            let fraction = text.dropFirst().prefix { isDigit($0) || $0 == 0x5F }
            if !fraction.isEmpty, isExponent(text[fraction.endIndex...], signRequired: true) { return true }
        }
        let unsigned = droppingSign(text)
        if [".inf", ".Inf", ".INF"].contains(where: { unsigned.elementsEqual($0.utf8) }) { return true }
        guard let first = unsigned.first, isDigit(first) else { return false }
        let whole = unsigned.prefix { isDigit($0) || $0 == 0x5F }
        var rest = unsigned[whole.endIndex...]
        if rest.first == UInt8(ascii: ":") { return isSexagesimalTail(rest, thenFraction: true) }
        if rest.first == UInt8(ascii: ".") {
            rest = rest.dropFirst().drop { isDigit($0) || $0 == 0x5F }
        }
        return isExponent(rest, signRequired: false)
    }

    /// `[0-9]{4}-[0-9]{2}-[0-9]{2}`, or a date and time:
    /// `[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(\.[0-9]*)?`
    /// then optionally `[ \t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?)`.
    private static func isTimestamp(_ text: ArraySlice<UInt8>) -> Bool {
        var rest = text
        guard take(digits: 4...4, from: &rest), take(UInt8(ascii: "-"), from: &rest) else { return false }
        let month = rest.prefix(while: isDigit)
        guard take(digits: 1...2, from: &rest), take(UInt8(ascii: "-"), from: &rest) else { return false }
        let day = rest.prefix(while: isDigit)
        guard take(digits: 1...2, from: &rest) else { return false }
        if rest.isEmpty { return month.count == 2 && day.count == 2 }
        if rest.first == UInt8(ascii: "T") || rest.first == UInt8(ascii: "t") {
            rest = rest.dropFirst()
        } else {
            let blanks = rest.prefix(while: isBlank)
            guard !blanks.isEmpty else { return false }
            rest = rest[blanks.endIndex...]
        }
        guard take(digits: 1...2, from: &rest), take(UInt8(ascii: ":"), from: &rest), take(digits: 2...2, from: &rest),
            take(UInt8(ascii: ":"), from: &rest), take(digits: 2...2, from: &rest)
        else { return false }
        if take(UInt8(ascii: "."), from: &rest) { rest = rest.drop(while: isDigit) }
        if rest.isEmpty { return true }
        rest = rest.drop(while: isBlank)
        if take(UInt8(ascii: "Z"), from: &rest) { return rest.isEmpty }
        guard take(UInt8(ascii: "+"), from: &rest) || take(UInt8(ascii: "-"), from: &rest),
            take(digits: 1...2, from: &rest)
        else { return false }
        if rest.isEmpty { return true }
        return take(UInt8(ascii: ":"), from: &rest) && take(digits: 2...2, from: &rest) && rest.isEmpty
    }

    // MARK: Pieces of the rules

    /// `(:[0-5]?[0-9])+` to the end, or with `thenFraction` followed by `\.[0-9_]*`.
    private static func isSexagesimalTail(_ text: ArraySlice<UInt8>, thenFraction: Bool) -> Bool {
        var rest = text
        var groups = 0
        while take(UInt8(ascii: ":"), from: &rest) {
            let digits = rest.prefix(while: isDigit)
            guard digits.count == 1 || (digits.count == 2 && digits.first! <= UInt8(ascii: "5")) else { return false }
            rest = rest[digits.endIndex...]
            groups += 1
        }
        guard groups > 0 else { return false }
        guard thenFraction else { return rest.isEmpty }
        return take(UInt8(ascii: "."), from: &rest) && rest.allSatisfy { isDigit($0) || $0 == 0x5F }
    }

    /// Nothing, or `[eE]`, a sign (optional unless `signRequired`) and at least one digit.
    private static func isExponent(_ text: ArraySlice<UInt8>, signRequired: Bool) -> Bool {
        var rest = text
        if rest.isEmpty { return true }
        guard take(UInt8(ascii: "e"), from: &rest) || take(UInt8(ascii: "E"), from: &rest) else { return false }
        let signed = take(UInt8(ascii: "+"), from: &rest) || take(UInt8(ascii: "-"), from: &rest)
        guard signed || !signRequired else { return false }
        return isNonEmpty(rest, all: isDigit)
    }

    /// Takes `byte` off the front of `text` if it is there.
    private static func take(_ byte: UInt8, from text: inout ArraySlice<UInt8>) -> Bool {
        guard text.first == byte else { return false }
        text = text.dropFirst()
        return true
    }

    /// Takes a run of decimal digits off the front of `text` if its length is in `count`; a
    /// longer run is no match, since the rules never split one.
    private static func take(digits count: ClosedRange<Int>, from text: inout ArraySlice<UInt8>) -> Bool {
        let digits = text.prefix(while: isDigit)
        guard count.contains(digits.count) else { return false }
        text = text[digits.endIndex...]
        return true
    }

    private static func droppingSign(_ text: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        text.first == UInt8(ascii: "+") || text.first == UInt8(ascii: "-") ? text.dropFirst() : text
    }

    private static func isNonEmpty(_ text: ArraySlice<UInt8>, all predicate: (UInt8) -> Bool) -> Bool {
        !text.isEmpty && text.allSatisfy(predicate)
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte)
    }

    private static func isOctalDigitOrSeparator(_ byte: UInt8) -> Bool {
        (0x30...0x37).contains(byte) || byte == 0x5F
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte)
    }

    private static func isBlank(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09
    }

    // MARK: The final line break

    /// The text without one final line break, where a rule's match may also end: `\n`, `\r`,
    /// `\r\n`, vertical tab, form feed, NEL, LINE SEPARATOR or PARAGRAPH SEPARATOR.
    private static func withoutFinalLineBreak(_ text: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        var shorter: [ArraySlice<UInt8>] = []
        if let last = text.last, (0x0A...0x0D).contains(last) {
            shorter.append(text.dropLast())
            if text.suffix(2).elementsEqual([0x0D, 0x0A]) { shorter.append(text.dropLast(2)) }
        }
        if text.suffix(2).elementsEqual([0xC2, 0x85]) { shorter.append(text.dropLast(2)) }
        if text.suffix(3).elementsEqual([0xE2, 0x80, 0xA8]) || text.suffix(3).elementsEqual([0xE2, 0x80, 0xA9]) {
            shorter.append(text.dropLast(3))
        }
        return shorter
    }
}
