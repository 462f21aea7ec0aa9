/// Where stored responses live: in process without `redis_url` (`InProcessResponseStore`), in
/// Redis with it (`RedisResponseStore`), so every replica can continue any response.
///
/// ```swift
/// try await store.save(stored, id: "resp_abc")
/// guard let previous = try await store.load(id: "resp_abc"), previous.owner == principal.name else {
///     // 404
/// }
/// ```
protocol ResponseStore: Sendable {
    /// Keeps `response` under `id` for `responses_ttl_s`. Throws when the store cannot be reached.
    func save(_ response: StoredResponse, id: String) async throws(ResponseStoreError)

    /// The response stored under `id`; `nil` when there is none (never stored, expired,
    /// evicted, deleted).
    func load(id: String) async throws(ResponseStoreError) -> StoredResponse?

    /// Removes the response stored under `id`; whether there was one.
    func delete(id: String) async throws(ResponseStoreError) -> Bool
}

/// Why the store could not answer. `reason` is safe to log and to show: it never holds the
/// store's address or credentials.
struct ResponseStoreError: Error, Sendable {
    let reason: String
}
