import NIOCore
import RelayRedis

/// Keeps stored responses in Redis (SPEC §8, with `redis_url`), shared by every replica: one
/// string key a response, `relay:response:<id>`, holding `StoredResponse.encoded()`, which
/// Redis itself expires after `ttlSeconds`.
///
/// ```swift
/// let store = RedisResponseStore(client: client, ttlSeconds: 86_400)
/// try await store.save(stored, id: "resp_abc")  // SET relay:response:resp_abc <json> EX 86400
/// ```
final class RedisResponseStore: ResponseStore {
    private let client: RedisClient
    private let ttlSeconds: Int

    init(client: RedisClient, ttlSeconds: Int) {
        precondition(ttlSeconds > 0, "Redis needs a positive expiry")
        self.client = client
        self.ttlSeconds = ttlSeconds
    }

    /// The Redis key of the response stored under `id`.
    static func key(_ id: String) -> String {
        "relay:response:" + id
    }

    func save(_ response: StoredResponse, id: String) async throws(ResponseStoreError) {
        let reply = try await send([
            ByteBuffer(string: "SET"), ByteBuffer(string: Self.key(id)), ByteBuffer(bytes: response.encoded()),
            ByteBuffer(string: "EX"), ByteBuffer(string: String(ttlSeconds)),
        ])
        guard reply == .simpleString("OK") else {
            throw ResponseStoreError(reason: "unexpected reply from Redis to SET")
        }
    }

    func load(id: String) async throws(ResponseStoreError) -> StoredResponse? {
        switch try await send([ByteBuffer(string: "GET"), ByteBuffer(string: Self.key(id))]) {
        case .null:
            return nil
        case .bulkString(let value):
            // Only Relay writes these keys: anything else there is not a response to continue.
            guard let stored = StoredResponse(encoded: Array(value.readableBytesView)) else {
                throw ResponseStoreError(reason: "the value Redis holds for this response is not one Relay wrote")
            }
            return stored
        default:
            throw ResponseStoreError(reason: "unexpected reply from Redis to GET")
        }
    }

    func delete(id: String) async throws(ResponseStoreError) -> Bool {
        let reply = try await send([ByteBuffer(string: "DEL"), ByteBuffer(string: Self.key(id))])
        guard case .integer(let removed) = reply else {
            throw ResponseStoreError(reason: "unexpected reply from Redis to DEL")
        }
        return removed > 0
    }

    private func send(_ command: [ByteBuffer]) async throws(ResponseStoreError) -> RESPValue {
        do {
            return try await client.send(command)
        } catch {
            throw ResponseStoreError(reason: error.reasonWithoutAddress)
        }
    }
}
