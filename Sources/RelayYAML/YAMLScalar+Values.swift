/// The values of plain scalars, read as YAML 1.1 reads them. Quoted and block scalars are text,
/// so they have no number value (`"8080"` is a string).
extension YAMLScalar {
    /// `_` separates digits; `0x`, `0b`, `0o` and a leading `0` (octal) give the radix; `1:30` is
    /// base 60. `nil` for text that is no integer or does not fit.
    package var int: Int? {
        guard style == .plain else { return nil }
        let digits = Self.withoutDigitSeparators(string)
        if digits == "0" { return 0 }
        let negative = digits.hasPrefix("-")
        let unsigned = digits.dropFirst(negative || digits.hasPrefix("+") ? 1 : 0)
        for (prefix, radix) in Self.radixPrefixes where unsigned.hasPrefix(prefix) {
            return Int((negative ? "-" : "") + unsigned.dropFirst(prefix.count), radix: radix)
        }
        if unsigned.contains(":") { return Self.sexagesimalInt(digits) }
        return Int(digits)
    }

    /// `.inf`, `-.inf` and `.nan` in any case, `_` between digits, `1:30.5` as base 60.
    package var float: Double? {
        guard style == .plain else { return nil }
        switch string.lowercased() {
        case ".inf", "+.inf": return .infinity
        case "-.inf": return -.infinity
        case ".nan": return .nan
        default:
            let digits = Self.withoutDigitSeparators(string)
            if digits.contains(":") { return Self.sexagesimalDouble(digits) }
            return Double(digits)
        }
    }

    /// `true`, `yes` and `on` or their opposites, in any case; never for a scalar typed as text.
    package var bool: Bool? {
        guard tag != .str else { return nil }
        switch string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: return nil
        }
    }

    /// Checked in this order, so `0x1F` is hexadecimal before the bare `0` makes it octal.
    private static let radixPrefixes: [(prefix: String, radix: Int)] = [("0x", 16), ("0b", 2), ("0o", 8), ("0", 8)]

    private static func withoutDigitSeparators(_ text: String) -> String {
        var kept = String.UnicodeScalarView()
        kept.append(contentsOf: text.unicodeScalars.lazy.filter { $0 != "_" })
        return String(kept)
    }

    /// `[-+]a:b:c` as `±(a * 60² + b * 60 + c)`; `nil` when a part is no integer or the sum does
    /// not fit.
    private static func sexagesimalInt(_ text: String) -> Int? {
        let (negative, parts) = signAndParts(text)
        var total = 0
        var weight = 1
        for (index, part) in parts.reversed().enumerated() {
            guard let digit = Int(part, radix: 10) else { return nil }
            if index > 0 {
                let (next, overflow) = weight.multipliedReportingOverflow(by: 60)
                guard !overflow else { return nil }
                weight = next
            }
            let (product, productOverflow) = digit.multipliedReportingOverflow(by: weight)
            let (sum, sumOverflow) = total.addingReportingOverflow(product)
            guard !productOverflow, !sumOverflow else { return nil }
            total = sum
        }
        guard negative else { return total }
        let (negated, overflow) = total.multipliedReportingOverflow(by: -1)
        return overflow ? nil : negated
    }

    /// `[-+]a:b:c.d` as `±(a * 60² + b * 60 + c.d)`; `nil` when a part is no number.
    private static func sexagesimalDouble(_ text: String) -> Double? {
        let (negative, parts) = signAndParts(text)
        var total = 0.0
        var weight = 1.0
        for part in parts.reversed() {
            guard let digit = Double(part) else { return nil }
            total += digit * weight
            weight *= 60
        }
        return negative ? -total : total
    }

    private static func signAndParts(_ text: String) -> (negative: Bool, parts: [Substring]) {
        var unsigned = Substring(text)
        let negative = unsigned.hasPrefix("-")
        if negative || unsigned.hasPrefix("+") { unsigned = unsigned.dropFirst() }
        return (negative, unsigned.split(separator: ":", omittingEmptySubsequences: false))
    }
}
