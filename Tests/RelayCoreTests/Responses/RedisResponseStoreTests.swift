import RelayRedis
import RelayTestSupport
import Testing

@testable import RelayCore

@Suite struct RedisResponseStoreTests {
    /// Each test's ids, so tests can share one server.
    let id = "resp_test_\(UInt64.random(in: 0 ... .max))"

    static let response = StoredResponse(
        owner: "team \"blue\" ✓",
        nativeBackend: "llama-server",
        response: Array(#"{"id":"resp_1","output_text":"say \"hi\"\n— ok ✓ 🎉"}"#.utf8),
        items: Array(
            "[{\"role\":\"user\",\"content\":\"line one\\nline \\\"two\\\" 日本\"},\n {\"type\":\"message\"}]".utf8)
    )

    @Test func savedResponseLoadsByteForByte() async throws {
        let client = try testClient(url: try RedisTestServer.sharedURL())
        let store = RedisResponseStore(client: client, ttlSeconds: 120)
        try await store.save(Self.response, id: id)
        #expect(try await store.load(id: id) == Self.response)

        let translated = StoredResponse(owner: "dev", nativeBackend: nil, response: Array("{}".utf8), items: [91, 93])
        try await store.save(translated, id: id)
        #expect(try await store.load(id: id) == translated)
        #expect(try await store.load(id: id + "-other") == nil)
        await client.shutdown()
    }

    @Test func redisExpiresItAfterTheTTL() async throws {
        let client = try testClient(url: try RedisTestServer.sharedURL())
        let store = RedisResponseStore(client: client, ttlSeconds: 120)
        try await store.save(Self.response, id: id)
        let ttl = try #require(try await client.send(["TTL", "relay:response:\(id)"]).integer)
        #expect((1...120).contains(ttl))
        await client.shutdown()
    }

    @Test func deletedResponseIsGone() async throws {
        let client = try testClient(url: try RedisTestServer.sharedURL())
        let store = RedisResponseStore(client: client, ttlSeconds: 120)
        try await store.save(Self.response, id: id)
        #expect(try await store.delete(id: id))
        #expect(try await store.load(id: id) == nil)
        #expect(try await store.delete(id: id) == false)
        await client.shutdown()
    }

    @Test func valueRelayDidNotWriteIsAnError() async throws {
        let client = try testClient(url: try RedisTestServer.sharedURL())
        let store = RedisResponseStore(client: client, ttlSeconds: 120)
        _ = try await client.send(["SET", "relay:response:\(id)", "not a response", "EX", "120"])
        await #expect(throws: ResponseStoreError.self) { try await store.load(id: id) }
        #expect(try await store.delete(id: id))
        await client.shutdown()
    }

    @Test func unreachableRedisThrowsWithoutNamingIt() async throws {
        let server = try RedisTestServer()
        let port = server.port
        server.stop()
        let client = try testClient(url: "redis://relay:s3cret-pass@127.0.0.1:\(port)/0")
        let store = RedisResponseStore(client: client, ttlSeconds: 120)
        var reasons: [String] = []
        do {
            try await store.save(Self.response, id: id)
        } catch {
            reasons.append(error.reason)
        }
        do {
            _ = try await store.load(id: id)
        } catch {
            reasons.append(error.reason)
        }
        do {
            _ = try await store.delete(id: id)
        } catch {
            reasons.append(error.reason)
        }
        #expect(reasons.count == 3)
        for reason in reasons {
            #expect(!reason.isEmpty)
            #expect(!reason.contains("s3cret"))
            #expect(!reason.contains(String(port)))
            #expect(!reason.contains("127.0.0.1"))
        }
        await client.shutdown()
    }
}
