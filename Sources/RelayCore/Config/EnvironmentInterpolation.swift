/// Replaces `${VAR}` and `${VAR:-default}` in config strings from the environment (SPEC §2).
///
/// `$$` is a literal `$`. A `$` followed by anything else is kept as written, because argon2id
/// PHC hashes (`$argon2id$v=19$...`) are full of them and must not need escaping.
enum EnvironmentInterpolation {
    struct Expansion {
        var text: String
        /// Messages for the value's path; they name variables, never values.
        var problems: [String]
    }

    static func expand(_ text: String, environment: [String: String]) -> Expansion {
        var result = Expansion(text: "", problems: [])
        var rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            result.text += rest[..<dollar]
            let afterDollar = rest[rest.index(after: dollar)...]
            if afterDollar.first == "$" {
                result.text += "$"
                rest = afterDollar.dropFirst()
            } else if afterDollar.first == "{" {
                guard let close = afterDollar.firstIndex(of: "}") else {
                    result.problems.append("unterminated \"${\" (write \"$$\" for a literal \"$\")")
                    return result
                }
                let reference = afterDollar[afterDollar.index(after: afterDollar.startIndex)..<close]
                substitute(reference, environment: environment, into: &result)
                rest = afterDollar[afterDollar.index(after: close)...]
            } else {
                result.text += "$"
                rest = afterDollar
            }
        }
        result.text += rest
        return result
    }

    /// `reference` is what stands between `${` and `}`.
    private static func substitute(_ reference: Substring, environment: [String: String], into result: inout Expansion)
    {
        let name: Substring
        let fallback: Substring?
        if let separator = reference.firstRange(of: ":-") {
            name = reference[..<separator.lowerBound]
            fallback = reference[separator.upperBound...]
        } else {
            name = reference
            fallback = nil
        }
        guard isVariableName(name) else {
            result.problems.append("invalid environment variable name \"\(name)\" in \"${...}\"")
            return
        }
        // As in the shell, `:-` also applies when the variable is set but empty.
        if let value = environment[String(name)], !(value.isEmpty && fallback != nil) {
            result.text += value
        } else if let fallback {
            result.text += fallback
        } else {
            result.problems.append("environment variable \(name) is not set")
        }
    }

    private static func isVariableName(_ name: Substring) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || isASCIILetter(first) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || isASCIILetter($0) || ("0"..."9").contains($0) }
    }

    private static func isASCIILetter(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
    }
}
