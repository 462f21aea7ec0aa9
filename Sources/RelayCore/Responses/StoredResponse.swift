import RelayWire

/// What Relay keeps of one stored response (SPEC §8, "Responses state"), so it can be read,
/// deleted and continued with `previous_response_id`, by the key that created it only.
///
/// ```swift
/// let stored = StoredResponse(owner: principal.name, nativeBackend: nil, response: body, items: conversation)
/// try await store.save(stored, id: "resp_abc")
/// ```
struct StoredResponse: Sendable, Equatable {
    /// The name of the API key that created it (`Principal.name`): only it may read, continue
    /// or delete it.
    var owner: String
    /// The backend that served it in its own Responses API (passthrough): follow-ups go there.
    /// `nil` when Relay translated it to chat.
    var nativeBackend: String?
    /// The response object, exactly as `GET /v1/responses/{id}` returns it (a JSON object's bytes).
    var response: [UInt8]
    /// The conversation up to and including this response, as Responses input items (a JSON
    /// array's bytes).
    var items: [UInt8]

    init(owner: String, nativeBackend: String?, response: [UInt8], items: [UInt8]) {
        self.owner = owner
        self.nativeBackend = nativeBackend
        self.response = response
        self.items = items
    }

    /// Bytes it holds, for the in-process bound.
    var byteCount: Int {
        owner.utf8.count + (nativeBackend?.utf8.count ?? 0) + response.count + items.count
    }

    /// One JSON object, as Redis keeps it:
    /// `{"owner":…,"backend":…|null,"response":<the object>,"items":<the array>}`, the response
    /// and items copied as they are.
    func encoded() -> [UInt8] {
        var object = JSONObjectBuilder()
        object.add("owner", string: owner)
        if let nativeBackend {
            object.add("backend", string: nativeBackend)
        } else {
            object.addNull("backend")
        }
        object.add("response", raw: response)
        object.add("items", raw: items)
        return object.bytes()
    }

    /// Reads what `encoded()` wrote; `nil` for anything else (not JSON, a member missing or of
    /// the wrong kind).
    init?(encoded bytes: [UInt8]) {
        // The wrapper is one level above a response and items that were each within the
        // scanner's depth when they were read from a client or a backend.
        guard let object = try? JSONScanner.object(in: bytes, maxDepth: JSONScanner.defaultMaxDepth + 1),
            let owner = object.string("owner"),
            let backend = object.member("backend"),
            let response = object.member("response"), object.kind(of: response.valueRange) == .object,
            let items = object.member("items"), object.kind(of: items.valueRange) == .array
        else { return nil }
        switch object.kind(of: backend.valueRange) {
        case .null: self.nativeBackend = nil
        case .string:
            guard let name = object.string("backend") else { return nil }
            self.nativeBackend = name
        default: return nil
        }
        self.owner = owner
        self.response = Array(bytes[response.valueRange])
        self.items = Array(bytes[items.valueRange])
    }
}
