/// What ties a request to its conversation, for `balance: affinity`: a 64-bit hash that is the
/// same in every replica (FNV-1a of bytes, not Swift's per-process seeded `Hasher`).
///
/// The first found of: `prompt_cache_key` (OpenAI's field), the `x-session-id` header,
/// `metadata.user_id` (Anthropic's), `user`, else the start of the prompt that every turn of a
/// conversation repeats: its messages up to the first user message (the system prompt and the
/// question that opened it), or the first bytes of `prompt` or `input`; at most
/// `promptPrefixBytes` of it. A Responses request gives its conversation's opening item instead
/// (`ResponsesConversation.opening`), which a turn chained by `previous_response_id` shares with
/// the first though its own `input` is new.
package enum AffinityKey {
    /// How much of the prompt stands for the conversation when nothing names it.
    static let promptPrefixBytes = 1024

    package static func of(_ request: ClientRequest, sessionID: String?, opening: [UInt8]? = nil) -> UInt64 {
        let object = request.object
        if let key = object.string("prompt_cache_key"), !key.isEmpty { return hash(key) }
        if let sessionID, !sessionID.isEmpty { return hash(sessionID) }
        if let user = object.object("metadata")?.string("user_id"), !user.isEmpty { return hash(user) }
        if let user = object.string("user"), !user.isEmpty { return hash(user) }
        if let opening { return fnv1a(opening.prefix(promptPrefixBytes)) }
        if let messages = object.array("messages"), let first = messages.first {
            let opening = messages.first { Self.isUserMessage(object.bytes, $0) } ?? first
            return fnv1a(object.bytes[first.lowerBound..<min(opening.upperBound, first.lowerBound + promptPrefixBytes)])
        }
        let prompt = ["prompt", "input"].lazy.compactMap { object.member($0)?.valueRange }.first
        guard let prompt else { return hash("") }
        return fnv1a(object.bytes[prompt.lowerBound..<min(prompt.upperBound, prompt.lowerBound + promptPrefixBytes)])
    }

    private static func isUserMessage(_ bytes: [UInt8], _ range: Range<Int>) -> Bool {
        (try? JSONScanner.object(in: bytes, range: range))?.string("role") == "user"
    }

    package static func hash(_ text: String) -> UInt64 {
        fnv1a(text.utf8)
    }

    /// FNV-1a, 64 bits, then MurmurHash3's finaliser: FNV-1a alone leaves the high bits of
    /// keys that differ in their last bytes (`conversation-1`, `conversation-2`) nearly equal, and
    /// the ring orders keys by those bits.
    static func fnv1a<Bytes: Sequence>(_ bytes: Bytes) -> UInt64 where Bytes.Element == UInt8 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        hash ^= hash >> 33
        hash &*= 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        hash &*= 0xc4ce_b9fe_1a85_ec53
        hash ^= hash >> 33
        return hash
    }
}
