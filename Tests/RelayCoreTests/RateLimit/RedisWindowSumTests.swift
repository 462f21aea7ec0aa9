import RelayRedis
import RelayTestSupport
import Testing

@testable import RelayCore

/// The sum each Redis window keeps (`tu`, `to`, `tr`), which lets a request that fits be decided
/// without reading the window whole: it starts right from a window an earlier release wrote,
/// follows seconds as they age out, is mended by the recount, and earlier scripts still read a
/// window that carries it.
@Suite struct RedisWindowSumTests {
    let keys = RedisLimitKeys(prefix: "relay-window-sum-test:\(UInt64.random(in: 0 ... .max)):", name: "dev")

    /// One reserve of a request (rpm only, never refused) through the batch script.
    func reserveRequest(_ client: RedisClient, keys: RedisLimitKeys? = nil) async throws -> ReserveAnswer {
        let keys = keys ?? self.keys
        let operation = RedisLimitOperation.reserve(
            keys: keys, tokenKey: keys.tokens, rpm: 1_000_000, tpm: nil, maxParallel: nil, cost: 0, slotID: nil)
        let batch = RedisLimitBatch([operation], slotLeaseMilliseconds: 60_000)
        let reply = try await client.run(RedisRateLimitScripts.batch, keys: batch.keys, arguments: batch.arguments)
            .get()
        let outcomes = try #require(RedisLimitBatch.outcomes(of: reply, for: [operation]))
        guard case .reserved(let answer) = outcomes.first else { throw UnexpectedReply() }
        return answer
    }

    struct UnexpectedReply: Error {}

    /// Redis's clock, in whole seconds. Each test holds whether or not a second passes before
    /// its calls: the seconds it writes are clear of the edges of the window.
    func redisSecond(_ client: RedisClient) async throws -> Int64 {
        let time = try await client.send(["TIME"]).array?.compactMap(\.string) ?? []
        guard let second = time.first.flatMap({ Int64($0) }) else { throw UnexpectedReply() }
        return second
    }

    func fields(_ client: RedisClient, keys: RedisLimitKeys? = nil) async throws -> [String: String] {
        let keys = keys ?? self.keys
        let flat = try await client.send(["HGETALL", keys.requests]).array?.compactMap(\.string) ?? []
        let pairs = stride(from: 0, to: flat.count - 1, by: 2).map { (flat[$0], flat[$0 + 1]) }
        return Dictionary(uniqueKeysWithValues: pairs)
    }

    @Test func aWindowWrittenWithoutASumIsCountedWholeAndGetsOne() async throws {
        let client = try testClient(url: try RedisTestServer.sharedURL())
        let now = try await redisSecond(client)
        // As an earlier release left it: one second aged out, two that count.
        _ = try await client.send([
            "HSET", keys.requests, "\(now - 70)", "5", "t\(now - 70)", "10", "\(now - 30)", "7", "t\(now - 30)", "20",
            "\(now - 5)", "11",
        ])
        let answer = try await reserveRequest(client)
        #expect(answer.requestUsed == 7 + 11 + 1)  // with its own request
        let stored = try await fields(client)
        #expect(stored["tu"] == "19")
        #expect(stored["to"] == "\(now - 30)")
        #expect(stored["\(now - 70)"] == nil && stored["t\(now - 70)"] == nil)
        await client.shutdown()
    }

    @Test func aSecondLeavesTheSumWhenItAgesOut() async throws {
        let client = try testClient(url: try RedisTestServer.sharedURL())
        // The sum below is as of `now`: a call 10 s later would recount it and test nothing, so a
        // run that slow (a loaded machine, a sanitizer) is tried again on fresh keys.
        for attempt in 1...5 {
            let keys = RedisLimitKeys(prefix: "relay-window-sum-test:\(UInt64.random(in: 0 ... .max)):", name: "dev")
            let now = try await redisSecond(client)
            // 4 requests 61 s ago (aged out by now) and 3 ten seconds ago. The 100 five seconds
            // ago are left out of the sum on purpose: only a recount would see them.
            _ = try await client.send([
                "HSET", keys.requests, "tu", "7", "to", "\(now - 61)", "tr", "\(now)",
                "\(now - 61)", "4", "\(now - 10)", "3", "\(now - 5)", "100",
            ])
            let answer = try await reserveRequest(client, keys: keys)
            guard answer.second < now + 9 || attempt == 5 else { continue }
            // Started from the sum: the 4 leave it, the 100 stay out.
            #expect(answer.requestUsed == 3 + 1)
            let stored = try await fields(client, keys: keys)
            #expect(stored["tu"] == "4")
            // No second before `to` holds a field: the one aged out is gone, the 3 still counts.
            #expect(stored["to"].flatMap { Int64($0) }.map { (now - 60...now - 10).contains($0) } == true)
            #expect(stored["\(now - 61)"] == nil)
            break
        }
        await client.shutdown()
    }

    @Test func aSumLeftWrongIsMendedByTheRecount() async throws {
        let client = try testClient(url: try RedisTestServer.sharedURL())
        let now = try await redisSecond(client)
        #expect(try await reserveRequest(client).requestUsed == 1)
        // A writer that knows no sum (an earlier release, during an upgrade) charged 6 more, and
        // the last recount was 10 s ago.
        _ = try await client.send(["HINCRBY", keys.requests, "\(now)", "6"])
        _ = try await client.send(["HSET", keys.requests, "tr", "\(now - 10)"])
        #expect(try await reserveRequest(client).requestUsed == 8)
        #expect(try await fields(client)["tu"] == "8")
        await client.shutdown()
    }

    @Test func theOneCallScriptOfEarlierReleasesReadsAWindowWithASum() async throws {
        let client = try testClient(url: try RedisTestServer.sharedURL())
        for _ in 0..<3 { _ = try await reserveRequest(client) }
        #expect(try await fields(client)["tu"] == "3")
        let reply = try await client.run(
            OneOperationScripts.reserve,
            keys: [keys.requests, keys.tokens, keys.slots],
            arguments: ["1000000", "-1", "-1", "0", "", "60000"]
        )
        var reader = RESPReader(reply.bytes)
        let answer = try #require(ReserveAnswer(&reader))
        #expect(answer.admitted && answer.requestUsed == 4)
        await client.shutdown()
    }
}
