import Foundation

/// YAML texts to compose with both RelayYAML and Yams.
enum YAMLCorpus {
    /// The repository's root, from this file's place in it.
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Every YAML file under docs/, examples/, deploy/ and Tests/, every ```yaml block of the
    /// Markdown docs, and the multi-line string literals of the Swift tests (the configs they
    /// parse), each with where it came from.
    static func repositoryDocuments() -> [(source: String, yaml: String)] {
        var documents: [(source: String, yaml: String)] = []
        let readme = root.appendingPathComponent("README.md")
        for file in files(under: ["docs", "examples", "deploy", "Tests"]) + [readme] {
            guard let text = try? String(contentsOf: file, encoding: .utf8) else { continue }
            let name = file.path.replacingOccurrences(of: root.path + "/", with: "")
            switch file.pathExtension {
            case "yaml", "yml":
                documents.append((name, text))
            case "md":
                for (index, block) in fencedBlocks(in: text).enumerated() {
                    documents.append(("\(name) block \(index)", block))
                }
            case "swift":
                for (index, literal) in multiLineLiterals(in: text).enumerated() {
                    documents.append(("\(name) literal \(index)", literal))
                }
            default:
                break
            }
        }
        return documents
    }

    private static func files(under folders: [String]) -> [URL] {
        folders.flatMap { folder -> [URL] in
            let enumerator = FileManager.default.enumerator(
                at: root.appendingPathComponent(folder), includingPropertiesForKeys: nil)
            return (enumerator?.allObjects as? [URL] ?? []).filter { !$0.path.contains("/.") }
        }
    }

    private static func fencedBlocks(in markdown: String) -> [String] {
        var blocks: [String] = []
        var current: [String]?
        for line in markdown.components(separatedBy: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if current == nil, trimmed == "```yaml" || trimmed == "```yml" {
                current = []
            } else if let lines = current, trimmed == "```" {
                blocks.append(lines.joined(separator: "\n") + "\n")
                current = nil
            } else {
                current?.append(line)
            }
        }
        return blocks
    }

    /// `"""` literals without escapes or interpolation, their indentation removed as Swift does.
    private static func multiLineLiterals(in swift: String) -> [String] {
        var literals: [String] = []
        var current: [String]?
        for line in swift.components(separatedBy: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if current == nil {
                if trimmed.hasSuffix("\"\"\""), trimmed.components(separatedBy: "\"\"\"").count == 2 { current = [] }
            } else if trimmed.hasPrefix("\"\"\"") {
                let indent = line.prefix { $0 == " " }.count
                let lines = current ?? []
                if !lines.contains(where: { $0.contains("\\") }) {
                    literals.append(
                        lines.map { String($0.dropFirst(min(indent, $0.prefix { $0 == " " }.count))) }.joined(
                            separator: "\n"))
                }
                current = nil
            } else {
                current?.append(line)
            }
        }
        return literals
    }

    /// Documents for what Relay's config uses, for what LibYAML rejects, and for the corners
    /// between.
    static let handWritten: [String] = [
        "", "# nothing\n", "---\n", "---\n...\n", "~\n", "plain\n", "'quoted'\n", "a: 1\n---\nb: 2\n", "a: 1\n...\n",
        "a: &x 1\nb: *x\n", "a: *x\n", "a: &x [*x]\n", "a: &x {b: 1}\nc: &x {d: 2}\ne: *x\n",
        "base: &b {a: 1, b: 2}\nuse:\n  <<: *b\n  a: 3\n", "m: {<<: [*a, *b]}\n",
        "a: &a {x: 1}\nb: &b {y: 2}\nm:\n  <<: [*a, *b]\n",
        "server:\n  port: 1\n  port: 2\n", "a: 1\n\"a\": 2\n", "1: x\n\"1\": y\n", "b: 1\na: 2\nb: 3\na: 4\n",
        "? [a, b]\n: 1\n? [a, b]\n: 2\n", "? {a: 1}\n: x\n? {a: 1}\n: y\n", "<<: {a: 1}\n<<: {b: 2}\n",
        "~: 1\nnull: 2\n",
        "a: b\n c: d\n", "server:\n  host: [unclosed\nlog: {}\n", "a:\n\t- b\n", "a: 'unterminated\n",
        "a: \"bad \\q escape\"\n",
        "- a\nb: c\n", "[a, b\n", "{a: b\n", "a: b: c\n", "&anchor\n", "!!str\n", "a: !<tag:yaml.org,2002:int> 5\n",
        "a: 1\nb: \u{1}\n", "\u{1}", "a: \u{7F}\n", "a: \u{FEFF}b\n", "a: \u{FEFF}\u{FEFF}b\n", "a: \"\u{FEFF}b\"\n",
        "a: \"\\uFEFFb\"\n", "\u{FEFF}: x\n", "\u{FEFF}a: 1\n", "a: b\r\nc: d\r\n", "a: b\rc: d\r",
        "a: |\n  line\n  two\nb: >\n  folded\n  text\n", "a: |-\n  x\n", "a: >+\n  x\n\n", "a: \"multi\n  line\"\n",
        "a: plain\n  continued\n",
        "a: !!str 8080\nb: !!int \"12\"\nc: ! 12\nd: !custom 5\ne: !!null {}\nf: !!seq []\ng: ! [1]\nh: !!map {}\n",
        "%TAG !e! tag:example.com,2000:\n---\na: !e!thing x\n", "%YAML 1.1\n---\na: 1\n", "%YAML 2.0\n---\na: 1\n",
        "options: {num_ctx: 8192, temperature: 0.2, stop: [\"</s>\", x], seed: -1, mirostat: 0x1, top: .5e+1}\n",
        "n: [0o17, 017, 08, 0b11, 1_000, 1:30, 1:30.5, .inf, -.Inf, .NaN, 1e3, 1.5e-3, +12, -0, 0_, ~, Null, yes, Off]\n",
        "t: [2001-12-14, 2001-12-14t21:59:43.10-05:00, 2001-12-14 21:59:43.10 Z, 2001-1-4 1:02:03, =, <<]\n",
        "k: é\nü: ñ\n\"\\u00e9\": 1\n", "a: 'it''s'\nb: \"tab\\there\\n\"\nc: \"\\x41\\u0042\\U00000043\"\n",
        "list:\n- a\n- b:\n    c: d\n-   - nested\n", "a:\n  - &x {k: v}\n  - *x\n", "a: [&x 1, *x, *x]\n",
        "? complex\n: key\n", "? a\n", "a:\n", "a: {b}\n", "a: [b: c]\n", "a: {b: [c, {d: e}]}\n", "- - - x\n",
        String(repeating: "[", count: 40) + String(repeating: "]", count: 40) + "\n", "a: *\n", "a: &\n", "*a\n",
        "a: !\n",
        "a: @b\n", "a: `b\n", "a: %b\n", "- -1\n- - 1\n", "a:  # comment\n  b\n", "a: b # comment\n",
        "a: b#not comment\n",
        "port: ${PORT:-8080}\nkey: \"${KEY}\"\n", "a: 1\n  b: 2\n", "a:\n  b: 1\n c: 2\n", "a: 1\n---\n",
        "--- a\n--- b\n",
    ]

    /// Plain scalars at the edges of YAML 1.1's implicit types.
    static let trickyScalars: [String] = [
        "", "~", "null", "Null", "NULL", "nULL", "yes", "Yes", "YES", "yEs", "y", "n", "on", "On", "ON", "oN", "off",
        "OFF",
        "true", "True", "TRUE", "tRUE", "false", "0", "-0", "+0", "00", "0_", "_0", "08", "0x", "0x_", "0xFf", "0XFF",
        "0o", "0o8", "0o7", "0b", "0b2", "0b1", "-0b1", "+0x1F", "1:0", "1:60", "1:59", "1:5:9", "0:30", "-1:30",
        "1:30.", "1:30.5", "1:3a", ".", "._", "._1", ".1", "-.1", "+.1", ".1e1", ".1e+1", "1e", "1e+", "1E-5", "1.e5",
        "1_.5", "1._", "1..5", ".inf", ".Inf", ".INF", ".iNF", "-.inf", "+.inf", "inf", "-inf", ".nan", "-.nan", ".NaN",
        "nan", "<<", "<", "=", "==", "2001-12-14", "2001-12-1", "2001-1-14 1:2:03", "2001-12-14 21:59:43.10",
        "2001-12-14T21:59:43Z", "2001-12-14 21:59:43 +5", "2001-12-14 21:59:43 +05:00", "2001-12-14 21:59:43 +05:0",
        "2001-12-14  \t21:59:43.1234 -1", "2001-12-14\t21:59:43", "2001-12-14T21:59:43 Z ", "20011-12-14",
        "8080\n", "8080\r\n", "8080\r", "8080\n\n", "8080 ", " 8080", "true\u{0B}", "~\u{0C}", "\n", "null\u{85}",
        "1.5\u{2028}", "yes\u{2029}", "0x1F\u{85}", "=\n", "<<\r\n", "2001-12-14\n", "８０", "1٣",
    ]

    private static let scalarPieces: [String] = [
        "0", "1", "5", "7", "9", "0", "1", "6", "_", ".", ".", "+", "-", ":", ":", "e", "E", "x", "o", "b", "a", "f",
        "F", "T", "t", "Z", " ", "\t", "~", "<", "=", "inf", "Inf", "NaN", "nan", "yes", "No", "ON", "off", "null",
        "NULL", "true", "2001", "-12-14", "\n", "\r\n", "\u{85}", "\u{2028}", "\u{0B}", "é",
    ]

    /// Up to 16 characters from the pieces of numbers, booleans, nulls and timestamps.
    static func randomScalar(using random: inout SplitMix64) -> String {
        var text = ""
        for _ in 0..<Int.random(in: 1...6, using: &random) {
            text += scalarPieces.randomElement(using: &random)!
        }
        return String(text.prefix(16))
    }

    private static let documentPieces: [String] = [
        "a", "b", "key", "1", "0x1F", "1:30", ".5", "yes", "~", "null", ": ", ":", "- ", "-", "\n", "\n  ", "\n    ",
        " ",
        "[", "]", "{", "}", ", ", "&x ", "*x", "&y ", "*y", "!!str ", "!!int ", "! ", "'", "\"", "#", "<<: ", "? ",
        "|\n  ",
        ">\n  ", "---\n", "\t", "\\", "%",
    ]

    /// Short texts made of YAML's punctuation and scalars: most are errors, some are documents.
    static func randomDocument(using random: inout SplitMix64) -> String {
        var text = ""
        for _ in 0..<Int.random(in: 1...24, using: &random) {
            text += documentPieces.randomElement(using: &random)!
        }
        return text
    }
}
