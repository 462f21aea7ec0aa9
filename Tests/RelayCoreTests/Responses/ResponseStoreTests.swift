import NIOConcurrencyHelpers
import Testing

@testable import RelayCore

/// A monotonic clock the test moves by hand.
private final class ManualClock: Sendable {
    private let instant = NIOLockedValueBox(ContinuousClock.now)

    var now: ContinuousClock.Instant { instant.withLockedValue { $0 } }

    func advance(_ duration: Duration) {
        instant.withLockedValue { $0 += duration }
    }
}

/// A stored response whose `byteCount` is exactly `size` (at least the owner, `{}` and `[]`).
private func stored(_ text: String = "hi", size: Int? = nil, owner: String = "dev") -> StoredResponse {
    var response = Array(#"{"output_text":"\#(text)"}"#.utf8)
    if let size {
        let fixed = owner.utf8.count + 2 + 2
        precondition(size >= fixed, "too small for a stored response")
        response = Array("{".utf8) + Array(repeating: UInt8(ascii: " "), count: size - fixed) + Array("}".utf8)
    }
    return StoredResponse(owner: owner, nativeBackend: nil, response: response, items: Array("[]".utf8))
}

@Suite struct InProcessResponseStoreTests {
    private let clock = ManualClock()

    private func store(ttl: Duration = .seconds(3600), maxStored: Int = 100, maxBytes: Int = 1 << 20)
        -> InProcessResponseStore
    {
        let clock = self.clock
        return InProcessResponseStore(ttl: ttl, maxStored: maxStored, maxBytes: maxBytes, now: { clock.now })
    }

    /// Which of `ids` can still be loaded.
    private func kept(_ ids: [String], in store: InProcessResponseStore) async throws -> [String] {
        var kept: [String] = []
        for id in ids where try await store.load(id: id) != nil { kept.append(id) }
        return kept
    }

    @Test func savedResponseLoadsUntilDeleted() async throws {
        let store = store()
        let response = StoredResponse(
            owner: "dev", nativeBackend: "llama", response: Array(#"{"id":"resp_1"}"#.utf8),
            items: Array(#"[{"role":"user","content":"hi"}]"#.utf8))
        try await store.save(response, id: "resp_1")
        #expect(try await store.load(id: "resp_1") == response)
        #expect(try await store.load(id: "resp_2") == nil)

        #expect(try await store.delete(id: "resp_1"))
        #expect(try await store.load(id: "resp_1") == nil)
        #expect(try await store.delete(id: "resp_1") == false)
        #expect(store.storedBytes == 0)
    }

    @Test func countBoundEvictsTheOldest() async throws {
        let store = store(maxStored: 3)
        for id in ["a", "b", "c", "d"] { try await store.save(stored(id), id: id) }
        #expect(try await kept(["a", "b", "c", "d"], in: store) == ["b", "c", "d"])
        try await store.save(stored("e"), id: "e")
        #expect(try await kept(["a", "b", "c", "d", "e"], in: store) == ["c", "d", "e"])
    }

    @Test func byteBoundEvictsTheOldestUntilTheNewOneFits() async throws {
        let store = store(maxBytes: 300)
        for id in ["a", "b", "c"] { try await store.save(stored(size: 100), id: id) }
        #expect(try await kept(["a", "b", "c"], in: store) == ["a", "b", "c"])

        try await store.save(stored(size: 100), id: "d")
        #expect(try await kept(["a", "b", "c", "d"], in: store) == ["b", "c", "d"])
        // 250 bytes leave room for only one of the others: the two oldest go.
        try await store.save(stored(size: 250), id: "e")
        #expect(try await kept(["b", "c", "d", "e"], in: store) == ["e"])
        #expect(store.storedBytes == 250)
    }

    @Test func responseLargerThanTheWholeBoundIsNotKept() async throws {
        let store = store(maxBytes: 300)
        try await store.save(stored(size: 100), id: "small")
        try await store.save(stored(size: 301), id: "huge")
        #expect(try await store.load(id: "huge") == nil)
        // Nothing was evicted to make room for it.
        #expect(try await store.load(id: "small") != nil)

        // Saved again too large, an id's earlier response goes: it would not be the latest.
        try await store.save(stored(size: 301), id: "small")
        #expect(try await store.load(id: "small") == nil)
        #expect(store.storedBytes == 0)
    }

    @Test func expiredResponsesAreNeverReturned() async throws {
        let store = store(ttl: .seconds(60))
        try await store.save(stored(), id: "old")
        clock.advance(.seconds(59))
        #expect(try await store.load(id: "old") != nil)
        try await store.save(stored(), id: "young")

        clock.advance(.seconds(1))
        #expect(try await store.load(id: "old") == nil)
        #expect(try await store.delete(id: "old") == false)
        #expect(try await store.load(id: "young") != nil)

        // A save drops expired ones at the front even when nobody asks for them again.
        clock.advance(.seconds(60))
        try await store.save(stored(size: 50), id: "new")
        #expect(store.storedCount == 1)
        #expect(store.storedBytes == 50)
        #expect(try await store.load(id: "young") == nil)
    }

    @Test func replacingAnIDCountsItsBytesOnce() async throws {
        let store = store(maxBytes: 300)
        try await store.save(stored(size: 100), id: "x")
        try await store.save(stored(size: 100), id: "x")
        #expect(store.storedBytes == 100)
        // Were the replaced response still counted, the bound would be passed here and x evicted.
        try await store.save(stored(size: 100), id: "y")
        try await store.save(stored(size: 100), id: "z")
        #expect(try await kept(["x", "y", "z"], in: store) == ["x", "y", "z"])

        // Replaced, it is the newest: y is now the oldest.
        try await store.save(stored(size: 50), id: "x")
        try await store.save(stored(size: 100), id: "w")
        #expect(try await kept(["x", "y", "z", "w"], in: store) == ["x", "z", "w"])
        #expect(store.storedBytes == 250)
        #expect(try await store.load(id: "x")?.byteCount == 50)
    }

    @Test func evictionStaysInOrderAfterManyDeletesAndReplacements() async throws {
        let store = store(maxStored: 3)
        for round in 0..<2000 {
            try await store.save(stored("\(round)"), id: "temporary")
            if round.isMultiple(of: 2) { #expect(try await store.delete(id: "temporary")) }
        }
        #expect(try await store.delete(id: "temporary"))
        for id in ["a", "b", "c", "d"] { try await store.save(stored(id), id: id) }
        #expect(try await kept(["a", "b", "c", "d"], in: store) == ["b", "c", "d"])
        #expect(store.storedCount == 3)
    }

    @Test func ttlInSecondsIsTheSameTTL() async throws {
        let clock = self.clock
        let store = InProcessResponseStore(ttl: 10, maxStored: 10, maxBytes: 1 << 20, now: { clock.now })
        try await store.save(stored(), id: "a")
        clock.advance(.seconds(9))
        #expect(try await store.load(id: "a") != nil)
        clock.advance(.seconds(1))
        #expect(try await store.load(id: "a") == nil)
    }
}

@Suite struct StoredResponseEncodingTests {
    static let awkwardResponse = Array(
        #"{"id":"resp_1","output":[{"type":"message","content":[{"type":"output_text","text":"say \"hi\"\n— ok ✓ 🎉"}]}]}"#
            .utf8)
    static let awkwardItems = Array(
        "[{\"role\":\"user\",\"content\":\"line one\\nline \\\"two\\\" – ünïcödé 日本\"},\n  {\"type\":\"message\"}]"
            .utf8)

    @Test(arguments: [nil, "llama-server"])
    func encodedRoundTrips(backend: String?) throws {
        let original = StoredResponse(
            owner: "team \"blue\" ✓", nativeBackend: backend, response: Self.awkwardResponse, items: Self.awkwardItems)
        let decoded = try #require(StoredResponse(encoded: original.encoded()))
        #expect(decoded == original)
    }

    @Test func encodedIsOneJSONObjectWithTheBytesInside() throws {
        let original = StoredResponse(
            owner: "dev", nativeBackend: nil, response: Array(#"{"a":1}"#.utf8), items: Array("[]".utf8))
        #expect(
            String(decoding: original.encoded(), as: UTF8.self)
                == #"{"owner":"dev","backend":null,"response":{"a":1},"items":[]}"#)
    }

    @Test(arguments: [
        "",
        "not json",
        #"{"owner":"dev","backend":null,"response":{}}"#,
        #"{"backend":null,"response":{},"items":[]}"#,
        #"{"owner":"dev","response":{},"items":[]}"#,
        #"{"owner":"dev","backend":7,"response":{},"items":[]}"#,
        #"{"owner":1,"backend":null,"response":{},"items":[]}"#,
        #"{"owner":"dev","backend":null,"response":"{}","items":[]}"#,
        #"{"owner":"dev","backend":null,"response":{},"items":{}}"#,
        #"{"owner":"dev","backend":null,"response":{},"items":[]"#,
        #"[{"owner":"dev","backend":null,"response":{},"items":[]}]"#,
    ])
    func otherBytesDecodeToNil(text: String) {
        #expect(StoredResponse(encoded: Array(text.utf8)) == nil)
    }

    @Test func byteCountCountsEveryPart() {
        let response = StoredResponse(
            owner: "dev", nativeBackend: "vllm-a", response: Array(#"{"a":1}"#.utf8), items: Array("[1]".utf8))
        #expect(response.byteCount == 3 + 6 + 7 + 3)
    }
}
