/// One JSON object of a request in another API than chat (Anthropic Messages, OpenAI
/// Responses), with its path in the request (`messages.2.content.0`), for the translation to
/// chat: every member must be one the translation knows, and every failure is a 400 naming the
/// field, as the client's API names it.
struct TranslatedRequestObject {
    let object: JSONObject
    /// Dot-separated keys and array positions; empty for the request itself.
    let path: String

    init(_ object: JSONObject, path: String) {
        self.object = object
        self.path = path
    }

    /// The object at `range` of `bytes`, or a 400 saying that `path` must be one.
    init(at range: Range<Int>, in bytes: [UInt8], path: String) throws(ClientRequestError) {
        guard JSONKind(firstByte: bytes[range.lowerBound]) == .object,
            let object = try? JSONScanner.object(in: bytes, range: range)
        else { throw Self.error(path, "must be an object") }
        self.init(object, path: path)
    }

    var bytes: [UInt8] { object.bytes }

    func path(of key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    /// A 400 whose message starts with the field's path, as Anthropic's and OpenAI's own messages do.
    static func error(_ path: String, _ text: String) -> ClientRequestError {
        ClientRequestError(message: "\(path): \(text)", param: path)
    }

    /// A 400 for a field or value chat completions have no way to say.
    static func untranslatable(_ path: String, _ what: String) -> ClientRequestError {
        error(path, "\(what) cannot be translated to OpenAI chat completions, which this model's backend serves")
    }

    /// Fails on the first member whose key is not in `known`: nothing a client sends is dropped
    /// without a word.
    func rejectUnknownFields(_ known: [String]) throws(ClientRequestError) {
        for member in object.members where !known.contains(where: { object.member(member, hasKey: $0) }) {
            throw Self.untranslatable(path(of: object.key(of: member)), "this field")
        }
    }

    /// The member `key`, unless it is absent or `null` (which says the same).
    func value(_ key: String) -> JSONMember? {
        guard let member = object.member(key), object.kind(of: member.valueRange) != .null else { return nil }
        return member
    }

    func required(_ key: String) throws(ClientRequestError) -> JSONMember {
        guard let member = value(key) else { throw Self.error(path(of: key), "field required") }
        return member
    }

    /// The string literal of `key` as it stands, quotes included.
    func stringLiteral(_ key: String) throws(ClientRequestError) -> Range<Int>? {
        guard let member = value(key) else { return nil }
        guard object.kind(of: member.valueRange) == .string else { throw Self.error(path(of: key), "must be a string") }
        return member.valueRange
    }

    func requiredStringLiteral(_ key: String) throws(ClientRequestError) -> Range<Int> {
        _ = try required(key)
        return try stringLiteral(key)!
    }

    func string(_ key: String) throws(ClientRequestError) -> String? {
        guard try stringLiteral(key) != nil else { return nil }
        guard let text = object.string(key) else { throw Self.error(path(of: key), "is not valid UTF-8") }
        return text
    }

    func requiredString(_ key: String) throws(ClientRequestError) -> String {
        _ = try required(key)
        return try string(key)!
    }

    /// A block's `type`, which says which fields it may have.
    func type() throws(ClientRequestError) -> String {
        try requiredString("type")
    }

    func nested(_ key: String) throws(ClientRequestError) -> TranslatedRequestObject? {
        guard let member = value(key) else { return nil }
        return try TranslatedRequestObject(at: member.valueRange, in: bytes, path: path(of: key))
    }

    /// The element ranges of the array `key`.
    func elements(_ key: String) throws(ClientRequestError) -> [Range<Int>]? {
        guard let member = value(key) else { return nil }
        guard object.kind(of: member.valueRange) == .array, let elements = object.array(key) else {
            throw Self.error(path(of: key), "must be an array")
        }
        return elements
    }

    /// A number, as it stands.
    func number(_ key: String) throws(ClientRequestError) -> Range<Int>? {
        guard let member = value(key) else { return nil }
        guard object.kind(of: member.valueRange) == .number else { throw Self.error(path(of: key), "must be a number") }
        return member.valueRange
    }

    /// A whole number, as it stands.
    func integer(_ key: String) throws(ClientRequestError) -> Range<Int>? {
        guard let member = value(key) else { return nil }
        guard object.int(of: member) != nil else { throw Self.error(path(of: key), "must be an integer") }
        return member.valueRange
    }

    func bool(_ key: String) throws(ClientRequestError) -> Bool? {
        guard let member = value(key) else { return nil }
        switch object.kind(of: member.valueRange) {
        case .true: return true
        case .false: return false
        default: throw Self.error(path(of: key), "must be a boolean")
        }
    }

    /// The `text` literal of a text block, after checking the block has only what chat can
    /// carry: `cache_control` (a prompt-caching hint the backend has no use for) and empty
    /// `citations` are accepted and left out.
    func textOfTextBlock() throws(ClientRequestError) -> Range<Int> {
        try rejectUnknownFields(["type", "text", "cache_control", "citations"])
        if let citations = value("citations") {
            guard object.kind(of: citations.valueRange) == .array, object.array("citations")?.isEmpty == true else {
                throw Self.untranslatable(path(of: "citations"), "citations")
            }
        }
        return try requiredStringLiteral("text")
    }
}
