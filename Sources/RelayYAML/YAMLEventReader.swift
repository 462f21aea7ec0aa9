import CLibYAML

/// LibYAML's parser over one text, handing out its events one at a time.
final class YAMLEventReader {
    private let parser: UnsafeMutablePointer<yaml_parser_t>
    /// The UTF-8 text the parser reads from; LibYAML keeps a pointer to it, so it lives as long
    /// as the parser.
    private let input: UnsafeMutableBufferPointer<UInt8>
    private let text: String

    init(_ text: String) throws(YAMLError) {
        self.text = text
        input = .allocate(capacity: max(text.utf8.count, 1))
        _ = input.initialize(from: text.utf8)
        parser = .allocate(capacity: 1)
        guard yaml_parser_initialize(parser) != 0 else {
            parser.deallocate()
            input.deallocate()
            throw .outOfMemory
        }
        yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
        yaml_parser_set_input_string(parser, input.baseAddress, text.utf8.count)
    }

    deinit {
        yaml_parser_delete(parser)
        parser.deallocate()
        input.deallocate()
    }

    func next() throws(YAMLError) -> YAMLEvent {
        var event = yaml_event_t()
        guard yaml_parser_parse(parser, &event) != 0 else { throw error() }
        defer { yaml_event_delete(&event) }
        let mark = YAMLMark(line: event.start_mark.line + 1, column: event.start_mark.column + 1)
        return YAMLEvent(kind: kind(of: event), mark: mark)
    }

    private func kind(of event: yaml_event_t) -> YAMLEvent.Kind {
        switch event.type {
        case YAML_STREAM_START_EVENT: return .streamStart
        case YAML_DOCUMENT_START_EVENT: return .documentStart
        case YAML_DOCUMENT_END_EVENT: return .documentEnd
        case YAML_ALIAS_EVENT: return .alias(anchor: Self.string(event.data.alias.anchor) ?? "")
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            var bytes = UnsafeBufferPointer(start: scalar.value, count: scalar.length)[...]
            // A byte order mark that starts a value is dropped, as when the text is decoded as a
            // whole: it is invisible in an editor, and a key pasted with one should still work.
            if bytes.starts(with: Self.byteOrderMark) { bytes = bytes.dropFirst(Self.byteOrderMark.count) }
            let value = String(decoding: bytes, as: UTF8.self)
            let tag = scalar.quoted_implicit != 0 ? .str : Self.string(scalar.tag).map(YAMLTag.init(rawValue:))
            return .scalar(value, anchor: Self.string(scalar.anchor), tag: tag, style: Self.style(scalar.style))
        case YAML_SEQUENCE_START_EVENT:
            let start = event.data.sequence_start
            let tag = start.implicit != 0 ? nil : Self.string(start.tag).map(YAMLTag.init(rawValue:))
            return .sequenceStart(anchor: Self.string(start.anchor), tag: tag)
        case YAML_SEQUENCE_END_EVENT: return .sequenceEnd
        case YAML_MAPPING_START_EVENT:
            let start = event.data.mapping_start
            let tag = start.implicit != 0 ? nil : Self.string(start.tag).map(YAMLTag.init(rawValue:))
            return .mappingStart(anchor: Self.string(start.anchor), tag: tag)
        case YAML_MAPPING_END_EVENT: return .mappingEnd
        // YAML_NO_EVENT: what the parser gives once the stream has ended.
        default: return .streamEnd
        }
    }

    /// The parser's problem, with the line and column it reports (from 0) counted from 1.
    private func error() -> YAMLError {
        let state = parser.pointee
        let problem = state.problem.map { String(cString: $0) } ?? "unknown problem"
        switch state.error {
        case YAML_MEMORY_ERROR:
            return .outOfMemory
        case YAML_READER_ERROR:
            return .reader(problem: problem, line: line(ofByteOffset: state.problem_offset))
        default:
            let mark = YAMLMark(line: state.problem_mark.line + 1, column: state.problem_mark.column + 1)
            return .syntax(problem: problem, mark: mark, context: state.context.map { String(cString: $0) })
        }
    }

    /// The line of the character at a byte offset: 1 plus the `\n` characters before it; `nil`
    /// when the offset is not at the start of a character.
    private func line(ofByteOffset offset: Int) -> Int? {
        guard let byteIndex = text.utf8.index(text.utf8.startIndex, offsetBy: offset, limitedBy: text.utf8.endIndex),
            let index = byteIndex.samePosition(in: text)
        else { return nil }
        return text[..<index].reduce(1) { line, character in character == "\n" ? line + 1 : line }
    }

    private static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(decodingCString: $0, as: UTF8.self) }
    }

    private static func style(_ style: yaml_scalar_style_t) -> YAMLScalarStyle {
        switch style {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: .literal
        case YAML_FOLDED_SCALAR_STYLE: .folded
        default: .plain
        }
    }
}
