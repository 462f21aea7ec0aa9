import Foundation
import RelayYAML
import Testing
import Yams

@testable import RelayCore

/// RelayYAML against Yams (LibYAML with Yams' composer and default resolver), which Relay read
/// its config with before: for every document both must build the same tree (types, values,
/// styles and positions) or fail with the same message.
@Suite("YAML composer against Yams")
struct YAMLDifferentialTests {
    @Test func everyYAMLDocumentOfTheRepositoryComposesAsWithYams() throws {
        let documents = YAMLCorpus.repositoryDocuments()
        #expect(documents.count > 20)
        for (source, yaml) in documents {
            #expect(YAMLOutcome.relay(yaml) == YAMLOutcome.yams(yaml), "\(source)")
        }
    }

    @Test func featureAndErrorDocumentsComposeAsWithYams() {
        for yaml in YAMLCorpus.handWritten {
            #expect(YAMLOutcome.relay(yaml) == YAMLOutcome.yams(yaml), "\(yaml.debugDescription)")
        }
    }

    @Test func randomDocumentsComposeAsWithYams() {
        var random = SplitMix64(seed: 0x5EED_0001)
        for _ in 0..<3000 {
            let yaml = YAMLCorpus.randomDocument(using: &random)
            #expect(YAMLOutcome.relay(yaml) == YAMLOutcome.yams(yaml), "\(yaml.debugDescription)")
        }
    }

    @Test func randomPlainScalarsGetYamsTypesAndValues() {
        var random = SplitMix64(seed: 0x5EED_0002)
        var scalars = YAMLCorpus.trickyScalars
        for _ in 0..<20000 { scalars.append(YAMLCorpus.randomScalar(using: &random)) }
        var typed = 0
        for text in scalars {
            let yams = Yams.Node(text)
            let relay = YAMLNode(plain: text)
            let yamsTag = yams.tag.rawValue
            #expect(relay.tag.rawValue == yamsTag, "\(text.debugDescription)")
            if yamsTag != YAMLTag.str.rawValue { typed += 1 }
            #expect(String(describing: relay.int) == String(describing: yams.int), "\(text.debugDescription)")
            #expect(String(describing: relay.float) == String(describing: yams.float), "\(text.debugDescription)")
            #expect(relay.bool == yams.bool, "\(text.debugDescription)")
        }
        // The generator reaches every type, not only text.
        #expect(typed > scalars.count / 10)
    }
}

/// What composing a text gives, in one comparable form: the tree, or the problem `relay
/// check-config` shows.
enum YAMLOutcome: Equatable {
    case tree(String)
    case problem(String)

    static func relay(_ yaml: String) -> YAMLOutcome {
        do {
            return .tree(try YAMLComposer.compose(yaml: yaml).map { render($0) } ?? "no document")
        } catch {
            return .problem(YAMLSyntaxProblem.problem(for: error).message)
        }
    }

    static func yams(_ yaml: String) -> YAMLOutcome {
        do {
            return .tree(try Yams.compose(yaml: yaml).map { render($0) } ?? "no document")
        } catch {
            return .problem(yamsMessage(for: error))
        }
    }

    private static func render(_ node: YAMLNode, indent: String = "") -> String {
        let position = node.mark.map { "\($0.line):\($0.column)" } ?? "-"
        switch node {
        case .scalar(let scalar):
            return "\(indent)\(scalar.tag.rawValue) \(scalar.style) \(position) \(scalar.string.debugDescription)"
                + values(tag: scalar.tag.rawValue, int: node.int, float: node.float, bool: node.bool)
        case .mapping(let mapping):
            let pairs = mapping.pairs.map {
                render($0.key, indent: indent + "  ") + " =>\n" + render($0.value, indent: indent + "    ")
            }
            return "\(indent)\(mapping.tag.rawValue) \(position) {\n" + pairs.joined(separator: "\n") + "}"
        case .sequence(let sequence):
            let nodes = sequence.nodes.map { render($0, indent: indent + "  ") }
            return "\(indent)\(sequence.tag.rawValue) \(position) [\n" + nodes.joined(separator: "\n") + "]"
        }
    }

    private static func render(_ node: Yams.Node, indent: String = "") -> String {
        let position = node.mark.map { "\($0.line):\($0.column)" } ?? "-"
        let tag = node.tag.rawValue
        switch node {
        case .scalar(let scalar):
            return "\(indent)\(tag) \(style(scalar.style)) \(position) \(scalar.string.debugDescription)"
                + values(tag: tag, int: node.int, float: node.float, bool: node.bool)
        case .mapping(let mapping):
            let pairs = mapping.map {
                render($0.key, indent: indent + "  ") + " =>\n" + render($0.value, indent: indent + "    ")
            }
            return "\(indent)\(tag) \(position) {\n" + pairs.joined(separator: "\n") + "}"
        case .sequence(let sequence):
            let nodes = sequence.map { render($0, indent: indent + "  ") }
            return "\(indent)\(tag) \(position) [\n" + nodes.joined(separator: "\n") + "]"
        case .alias:
            return "\(indent)alias \(position)"
        }
    }

    /// The values Relay reads, for the types it reads them for (Yams' base 60 integers can
    /// overflow and trap on other text).
    private static func values(tag: String, int: Int?, float: Double?, bool: Bool?) -> String {
        switch tag {
        case YAMLTag.int.rawValue, YAMLTag.float.rawValue:
            return " int=\(String(describing: int)) float=\(String(describing: float))"
        case YAMLTag.bool.rawValue:
            return " bool=\(String(describing: bool))"
        default:
            return ""
        }
    }

    private static func style(_ style: Yams.Node.Scalar.Style) -> String {
        switch style {
        case .any: "any"
        case .plain: "plain"
        case .singleQuoted: "singleQuoted"
        case .doubleQuoted: "doubleQuoted"
        case .literal: "literal"
        case .folded: "folded"
        }
    }

    /// The message Relay showed for a Yams error before it read YAML with RelayYAML.
    private static func yamsMessage(for error: any Error) -> String {
        guard let yamlError = error as? YamlError else { return "invalid YAML: \(error)" }
        switch yamlError {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let contextNote = context.map { " (\($0.text))" } ?? ""
            return "invalid YAML at line \(mark.line), column \(mark.column): \(problem)\(contextNote)"
        case .reader(let problem, let offset, _, let yaml):
            let line = offset.map { offset in
                yaml.prefix(offset).reduce(1) { line, character in character == "\n" ? line + 1 : line }
            }
            return "invalid YAML" + (line.map { " at line \($0)" } ?? "") + ": \(problem)"
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
            return "invalid YAML at line \(context.mark.line): duplicate key \(keys)"
        default:
            return "invalid YAML: \(yamlError)"
        }
    }
}
