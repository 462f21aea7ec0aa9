import RelayWire

/// One Responses request's place in its conversation (SPEC §8): the stored response its
/// `previous_response_id` continues, and whether its own response is kept (`store`, true unless
/// the request says `false`).
///
/// A stored response is its creating key's alone: one that another key created is not found, as
/// one that never existed, so state never shows one key another's conversation.
struct ResponsesTurn: Sendable {
    let store: any ResponseStore
    let owner: String
    let request: ClientRequest
    /// The response `previous_response_id` names, nil for a conversation's first turn.
    let previous: StoredResponse?
    let keeps: Bool

    /// Reads the request's `previous_response_id` and `store`, and loads the response it continues.
    static func begin(_ request: ClientRequest, owner: String, store: any ResponseStore) async throws(RelayError)
        -> ResponsesTurn
    {
        let object = request.object
        let keeps = object.member("store").map { object.kind(of: $0.valueRange) != .false } ?? true
        var previous: StoredResponse?
        if let member = object.member("previous_response_id"), object.kind(of: member.valueRange) != .null {
            guard let id = object.string("previous_response_id") else {
                throw .invalidRequest(message: "previous_response_id must be a string", param: "previous_response_id")
            }
            let stored: StoredResponse?
            do {
                stored = try await store.load(id: id)
            } catch {
                throw .responseStoreUnavailable
            }
            guard let stored, stored.owner == owner else {
                throw .invalidRequest(
                    message: "Previous response with id \(Self.quoted(id)) not found.", param: "previous_response_id")
            }
            previous = stored
        }
        return ResponsesTurn(store: store, owner: owner, request: request, previous: previous, keeps: keeps)
    }

    /// Stores the response an answer made, before the client is sent its end, so that a
    /// follow-up sent the moment it arrives finds it. `nativeBackend`: the backend that served
    /// it in its own Responses API, where follow-ups go. Returns why it was not stored, if it
    /// was meant to be and was not.
    func keep(_ output: ResponseOutput, nativeBackend: String?) async -> String? {
        guard keeps else { return nil }
        guard
            let items = ResponsesConversation.items(
                previous: previous?.items, request: request, outputItems: output.items)
        else { return "response not stored: the conversation is over \(ResponsesConversation.maxHistoryBytes) bytes" }
        let stored = StoredResponse(owner: owner, nativeBackend: nativeBackend, response: output.response, items: items)
        do {
            try await store.save(stored, id: output.id)
            return nil
        } catch {
            return "response not stored: \(error.reason)"
        }
    }

    /// An id echoed in a message is cut short: a 10 KB id makes no better error.
    private static func quoted(_ id: String) -> String {
        id.count > 200 ? "'\(id.prefix(200))…'" : "'\(id)'"
    }
}

/// Where a streamed Responses answer is kept once it has ended: its turn, and the backend
/// that served it in its own API (nil when Relay translated it).
struct ResponsesKeeper: Sendable {
    let turn: ResponsesTurn
    let nativeBackend: String?

    func keep(_ output: ResponseOutput) async -> String? {
        await turn.keep(output, nativeBackend: nativeBackend)
    }
}
