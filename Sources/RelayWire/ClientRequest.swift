/// What Relay reads from a client's request body: the fields routing and limits need, their
/// positions for rewriting, and nothing else.
package struct ClientRequest: Sendable {
    /// Top-level fields Relay reads for routing, the token estimate or its rewrites: a duplicate
    /// is rejected, since Relay reads the first copy and an upstream may read the last.
    static let fieldsThatMustBeUnique: [String] = [
        "model", "messages", "stream", "max_tokens", "max_completion_tokens", "n", "prompt", "input",
        "stream_options", "encoding_format", "system",
    ]

    package let object: JSONObject
    package let model: String
    package let stream: Bool
    /// `max_completion_tokens` ?? `max_tokens`.
    package let maxTokens: Int?
    /// `stream_options.include_usage`: the client wants the usage chunk.
    package let includeUsage: Bool
    /// `encoding_format: "base64"` on embeddings.
    package let wantsBase64: Bool
    /// Bytes of the prompt-carrying fields (`messages`, `prompt`, `input` and Messages' `system`, all that are
    /// present, since an upstream reads whichever its endpoint names), for the token estimate.
    package let promptBytes: Int
    /// `n`: how many choices the upstream writes, each up to the completion budget; 1 when absent.
    package let choices: Int

    /// Parses and checks a client body; every failure is a message for a 400.
    package init(body: [UInt8]) throws(ClientRequestError) {
        let object: JSONObject
        do {
            object = try JSONScanner.object(in: body)
        } catch {
            throw ClientRequestError(message: error.message, param: nil)
        }
        // A handful of members and fields: searched, not hashed, and the fields seen kept as bits.
        var seen = 0
        for member in object.members {
            guard let position = Self.fieldsThatMustBeUnique.firstIndex(where: { object.member(member, hasKey: $0) })
            else { continue }
            guard seen & (1 << position) == 0 else {
                let key = Self.fieldsThatMustBeUnique[position]
                throw ClientRequestError(message: "duplicate key \"\(key)\" in the body", param: key)
            }
            seen |= 1 << position
        }
        guard let modelMember = object.member("model") else {
            throw ClientRequestError(message: "you must provide a model parameter", param: "model")
        }
        guard object.kind(of: modelMember.valueRange) == .string else {
            throw ClientRequestError(message: "model must be a string", param: "model")
        }
        let model: String
        do {
            let quoted = modelMember.valueRange
            model = try JSONString.decode(body[(quoted.lowerBound + 1)..<(quoted.upperBound - 1)])
        } catch {
            throw ClientRequestError(message: error.message, param: "model")
        }
        self.object = object
        self.model = model
        self.stream = try Self.optionalBool("stream", in: object) ?? false
        let maxCompletion = try Self.optionalInt("max_completion_tokens", in: object)
        let maxTokens = try Self.optionalInt("max_tokens", in: object)
        self.maxTokens = maxCompletion ?? maxTokens
        if let options = object.member("stream_options"), object.kind(of: options.valueRange) != .null {
            guard let nested = object.object("stream_options") else {
                throw ClientRequestError(message: "stream_options must be an object", param: "stream_options")
            }
            guard nested.members.lazy.filter({ nested.member($0, hasKey: "include_usage") }).count < 2 else {
                throw ClientRequestError(
                    message: "duplicate key \"stream_options.include_usage\" in the body", param: "stream_options")
            }
            self.includeUsage = try Self.optionalBool("include_usage", in: nested) ?? false
        } else {
            self.includeUsage = false
        }
        if let format = object.member("encoding_format"), object.kind(of: format.valueRange) != .null {
            guard let value = object.string("encoding_format") else {
                throw ClientRequestError(message: "encoding_format must be a string", param: "encoding_format")
            }
            self.wantsBase64 = value == "base64"
        } else {
            self.wantsBase64 = false
        }
        self.promptBytes =
            (object.member("messages")?.valueRange.count ?? 0) + (object.member("prompt")?.valueRange.count ?? 0)
            + (object.member("input")?.valueRange.count ?? 0) + (object.member("system")?.valueRange.count ?? 0)
        self.choices = try Self.choices(in: object)
    }

    /// The completion tokens the request may cost: its `max_completion_tokens` ?? `max_tokens`
    /// (`defaultMaxTokens` when it sets neither) for each of its `n` choices, at most
    /// `Usage.maxCount`.
    package func completionBudget(default defaultMaxTokens: Int) -> Int {
        let (product, overflowed) = (maxTokens ?? defaultMaxTokens).multipliedReportingOverflow(by: choices)
        return overflowed ? Usage.maxCount : min(product, Usage.maxCount)
    }

    private static func choices(in object: JSONObject) throws(ClientRequestError) -> Int {
        guard let member = object.member("n"), object.kind(of: member.valueRange) != .null else { return 1 }
        guard let value = object.int(of: member), value >= 1, value <= Usage.maxCount else {
            throw ClientRequestError(message: "n must be a positive integer", param: "n")
        }
        return value
    }

    private static func optionalBool(_ key: String, in object: JSONObject) throws(ClientRequestError) -> Bool? {
        guard let member = object.member(key) else { return nil }
        switch object.kind(of: member.valueRange) {
        case .true: return true
        case .false: return false
        case .null: return nil
        default: throw ClientRequestError(message: "\(key) must be a boolean", param: key)
        }
    }

    private static func optionalInt(_ key: String, in object: JSONObject) throws(ClientRequestError) -> Int? {
        guard let member = object.member(key), object.kind(of: member.valueRange) != .null else { return nil }
        guard let value = object.int(of: member), value >= 0 else {
            throw ClientRequestError(message: "\(key) must be a non-negative integer", param: key)
        }
        // Token budgets are added up for the limiter: an absurd one must not overflow the sum.
        guard value <= Usage.maxCount else {
            throw ClientRequestError(message: "\(key) must be at most \(Usage.maxCount)", param: key)
        }
        return value
    }
}

package struct ClientRequestError: Error, Equatable {
    package var message: String
    package var param: String?

    package init(message: String, param: String?) {
        self.message = message
        self.param = param
    }
}

extension ClientRequest {
    /// The same request without the given top-level fields (a backend's `drop_params`).
    package func dropping(_ fields: [String]) -> ClientRequest {
        guard fields.contains(where: { object.member($0) != nil }) else { return self }
        var rewriter = JSONObjectRewriter(object)
        for field in fields where field != "model" { rewriter.drop(field) }
        // The rewritten body is this body minus some members, so it parses as this one did.
        return (try? ClientRequest(body: rewriter.bytes())) ?? self
    }
}
