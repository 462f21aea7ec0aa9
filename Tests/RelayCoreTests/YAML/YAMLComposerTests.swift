import RelayYAML
import Testing

@Suite("YAML composer")
struct YAMLComposerTests {
    private func compose(_ yaml: String) throws -> YAMLNode? {
        try YAMLComposer.compose(yaml: yaml)
    }

    private func value(_ key: String, in yaml: String) throws -> YAMLNode? {
        try compose(yaml)?.mapping?.first { $0.key.scalar?.string == key }?.value
    }

    private func composeError(_ yaml: String) -> YAMLError? {
        do {
            _ = try YAMLComposer.compose(yaml: yaml)
            return nil
        } catch {
            return error
        }
    }

    @Test func anAliasIsTheNodeItsAnchorNames() throws {
        let yaml = """
            shared: &shared {type: vllm, max_concurrency: 4}
            port: &port 8080
            copy: *shared
            other_port: *port
            """
        let copy = try #require(try value("copy", in: yaml)?.mapping)
        #expect(copy.map { $0.key.scalar?.string } == ["type", "max_concurrency"])
        #expect(copy.last?.value.int == 4)
        let port = try #require(try value("other_port", in: yaml))
        #expect(port.tag == .int)
        #expect(port.int == 8080)
        // The node keeps where the anchored node was written.
        #expect(port.mark == YAMLMark(line: 2, column: 7))
    }

    @Test func aLaterAnchorOfTheSameNameReplacesTheEarlierOne() throws {
        let yaml = "a: &x one\nb: &x two\nc: *x\n"
        #expect(try value("c", in: yaml)?.scalar?.string == "two")
    }

    @Test func mergeKeysStayEntriesTaggedAsMerges() throws {
        let yaml = """
            base: &base {a: 1}
            more: &more {b: 2}
            one:
              <<: *base
              a: 3
            many:
              <<: [*base, *more]
            quoted:
              "<<": *base
            """
        let one = try #require(try value("one", in: yaml)?.mapping)
        #expect(one.map(\.key.tag) == [.merge, .str])
        #expect(one.first?.value.mapping?.first?.value.int == 1)
        let many = try #require(try value("many", in: yaml)?.mapping?.first)
        #expect(many.key.tag == .merge)
        #expect(many.value.sequence?.count == 2)
        #expect(try value("quoted", in: yaml)?.mapping?.first?.key.tag == .str)
    }

    @Test(arguments: [
        ("yes", YAMLTag.bool), ("No", .bool), ("ON", .bool), ("off", .bool), ("True", .bool), ("FALSE", .bool),
        ("yEs", .str), ("y", .str),
        ("~", .null), ("null", .null), ("Null", .null), ("NULL", .null), ("", .null), ("nULL", .str),
        ("0", .int), ("-17", .int), ("+3", .int), ("1_000", .int), ("0x1F", .int), ("0o17", .int), ("017", .int),
        ("0b101", .int), ("1:30", .int), ("08", .float), ("0x1G", .str), ("1:60", .str),
        ("1.5", .float), ("-.5", .str), (".5", .float), ("1e3", .float), ("1.0e+3", .float), (".5e3", .str),
        (".5e+3", .float), ("1:30.5", .float), (".inf", .float), ("-.Inf", .float), ("+.INF", .float),
        (".NaN", .float), ("-.nan", .str), ("1.2.3", .str),
        ("<<", .merge), ("=", .value),
        ("2001-12-14", .timestamp), ("2001-12-14t21:59:43.10-05:00", .timestamp),
        ("2001-12-14 21:59:43.10 Z", .timestamp), ("2001-1-4", .str), ("2001-12-14 21:59", .str),
        ("8080\n", .int), ("true\r\n", .bool), ("80 80", .str), ("qwen2.5:7b", .str),
    ])
    func plainScalarsAreTypedByTheirText(text: String, tag: YAMLTag) {
        #expect(YAMLNode(plain: text).tag == tag)
    }

    @Test(arguments: [
        ("0x1F", 31), ("0o17", 15), ("017", 15), ("0b101", 5), ("1_000", 1000), ("-1:30", -90), ("+42", 42),
        ("0", 0), ("190:20:30", 685_230),
    ])
    func integersReadLikeYAML11(text: String, expected: Int) {
        #expect(YAMLNode(plain: text).int == expected)
    }

    @Test func numbersAndBooleansReadLikeYAML11() throws {
        #expect(YAMLNode(plain: "1_000.5").float == 1000.5)
        #expect(YAMLNode(plain: "1:30.5").float == 90.5)
        #expect(YAMLNode(plain: "-.Inf").float == -.infinity)
        #expect(YAMLNode(plain: ".NaN").float?.isNaN == true)
        #expect(YAMLNode(plain: "1e3").float == 1000)
        #expect(YAMLNode(plain: "Yes").bool == true)
        #expect(YAMLNode(plain: "OFF").bool == false)
        #expect(YAMLNode(plain: "sure").bool == nil)
        // Base 60 that does not fit an integer is no integer rather than a crash.
        #expect(YAMLNode(plain: "1:00:00:00:00:00:00:00:00:00:00:00").int == nil)
    }

    @Test func quotedAndBlockScalarsStayText() throws {
        let yaml = """
            single: '8080'
            double: "true"
            null_word: "~"
            block: |
              42
            folded: >
              yes
            """
        for key in ["single", "double", "null_word", "block", "folded"] {
            let node = try #require(try value(key, in: yaml))
            #expect(node.tag == .str, "\(key)")
            #expect(node.int == nil && node.bool == nil, "\(key)")
        }
        #expect(try value("single", in: yaml)?.scalar?.style == .singleQuoted)
        #expect(try value("double", in: yaml)?.scalar?.style == .doubleQuoted)
        #expect(try value("block", in: yaml)?.scalar?.string == "42\n")
        #expect(try value("block", in: yaml)?.scalar?.style == .literal)
        #expect(try value("folded", in: yaml)?.scalar?.style == .folded)
    }

    @Test func explicitTagsWin() throws {
        let yaml = "a: !!str 8080\nb: !!int \"12\"\nc: ! 12\nd: !custom 5\ne: !!null {}\n"
        #expect(try value("a", in: yaml)?.tag == .str)
        // A quoted scalar has no number value, whatever its tag says.
        #expect(try value("b", in: yaml)?.tag == .int)
        #expect(try value("b", in: yaml)?.int == nil)
        #expect(try value("c", in: yaml)?.tag == .str)
        #expect(try value("d", in: yaml)?.tag == YAMLTag(rawValue: "!custom"))
        #expect(try value("e", in: yaml)?.tag == .null)
    }

    @Test func flowCollectionsComposeLikeBlockOnes() throws {
        let root = try #require(try compose(#"{options: {num_ctx: 8192, stop: ["a", b]}, list: [1, {x: y}]}"#))
        let options = try #require(root.mapping?.first?.value.mapping)
        #expect(options.first?.value.int == 8192)
        #expect(options.last?.value.sequence?.map { $0.scalar?.string } == ["a", "b"])
        #expect(options.last?.value.sequence?.map { $0.scalar?.style } == [.doubleQuoted, .plain])
        let list = try #require(root.mapping?.last?.value.sequence)
        #expect(list.first?.tag == .int)
        #expect(list.last?.mapping?.first?.value.scalar?.string == "y")
        #expect(root.tag == .map)
        #expect(root.mapping?.last?.value.tag == .seq)
    }

    @Test func aTextWithoutADocumentHasNoRoot() throws {
        #expect(try compose("") == nil)
        #expect(try compose("# only a comment\n\n") == nil)
        #expect(try compose("---\n")?.tag == .null)
    }

    @Test func aKeyWrittenTwiceIsAnErrorAtItsFirstLine() {
        #expect(
            composeError("server:\n  port: 1\n  port: 2\n")
                == .duplicateKeys(keys: ["port"], mark: YAMLMark(line: 2, column: 3)))
        // Quoting does not make a different key; a different type does.
        #expect(composeError("a: 1\n\"a\": 2\n") == .duplicateKeys(keys: ["a"], mark: YAMLMark(line: 1, column: 1)))
        #expect(composeError("1: x\n\"1\": y\n") == nil)
        #expect(
            composeError("b: 1\na: 2\nb: 3\na: 4\n")
                == .duplicateKeys(keys: ["a", "b"], mark: YAMLMark(line: 2, column: 1)))
        #expect(
            composeError("<<: {a: 1}\n<<: {b: 2}\n") == .duplicateKeys(keys: ["<<"], mark: YAMLMark(line: 1, column: 1))
        )
    }

    @Test func syntaxErrorsCarryLibYAMLsProblemAndPosition() {
        #expect(
            composeError("a: b\n c: d\n")
                == .syntax(
                    problem: "mapping values are not allowed in this context", mark: YAMLMark(line: 2, column: 3),
                    context: nil))
        #expect(
            composeError("server:\n  host: [unclosed\nlog: {}\n")
                == .syntax(
                    problem: "did not find expected ',' or ']'", mark: YAMLMark(line: 3, column: 4),
                    context: "while parsing a flow sequence"))
    }

    @Test func anUndefinedAliasIsAnErrorWhereItIsUsed() {
        #expect(
            composeError("a: 1\nb: *nope\n")
                == .syntax(problem: "found undefined alias", mark: YAMLMark(line: 2, column: 4), context: nil))
        // An anchor names its node only once the node is complete.
        #expect(
            composeError("a: &self [*self]\n")
                == .syntax(problem: "found undefined alias", mark: YAMLMark(line: 1, column: 11), context: nil))
    }

    @Test func nestingIsBoundedInsteadOfOverflowingTheStack() throws {
        let deepest =
            String(repeating: "[", count: YAMLComposer.maxDepth) + String(repeating: "]", count: YAMLComposer.maxDepth)
        #expect(try compose(deepest)?.sequence != nil)
        // Deeper than the bound, but within the 1,000 levels that some builds of LibYAML refuse
        // on their own, so the bound is what stops it with either.
        let tooDeep = "a: " + String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        #expect(
            composeError(tooDeep)
                == .syntax(
                    problem: "lists and mappings nested more than \(YAMLComposer.maxDepth) levels deep",
                    mark: YAMLMark(line: 1, column: 4 + YAMLComposer.maxDepth - 1), context: nil))
    }

    @Test func aSecondDocumentIsAnError() {
        #expect(
            composeError("a: 1\n---\nb: 2\n")
                == .syntax(
                    problem: "but found another document", mark: YAMLMark(line: 2, column: 1),
                    context: "expected a single document in the stream"))
    }

    @Test func aControlCharacterIsAReaderErrorWithItsLine() {
        #expect(composeError("a: 1\nb: \u{1}\n") == .reader(problem: "control characters are not allowed", line: 2))
    }
}
