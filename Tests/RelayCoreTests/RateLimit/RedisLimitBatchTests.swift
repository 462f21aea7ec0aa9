import NIOCore
import RelayRedis
import RelayTestSupport
import Synchronization
import Testing

@testable import RelayCore
@testable import RelayWire

/// The batched Redis limiter: the batch script on its own (one call, operations in a chosen
/// order) and concurrent callers through `RedisRateLimiter`, whose calls are batched.
@Suite struct RedisLimitBatchTests {
    /// Each test's keys, so tests can share one server.
    let prefix = "relay-batch-test:\(UInt64.random(in: 0 ... .max)):"

    func limiter(
        url: String,
        failureMode: RateLimitFailureMode = .open,
        fallback: InProcessRateLimiter = InProcessRateLimiter()
    ) throws -> (RedisRateLimiter, RedisClient) {
        try redisTestLimiter(url: url, prefix: prefix, failureMode: failureMode, fallback: fallback)
    }

    func reserve(
        _ name: String = "dev",
        rpm: Int? = nil,
        tpm: Int? = nil,
        maxParallel: Int? = nil,
        cost: Int = 0,
        slot: String? = nil,
        fallbackPool: Bool = false
    ) -> RedisLimitOperation {
        let keys = RedisLimitKeys(prefix: prefix, name: name)
        return .reserve(
            keys: keys,
            tokenKey: fallbackPool ? keys.fallbackTokens : keys.tokens,
            rpm: rpm,
            tpm: tpm,
            maxParallel: maxParallel,
            cost: cost,
            slotID: slot
        )
    }

    func settle(_ name: String = "dev", second: Int64 = 0, correction: Int = 0, slot: String? = nil)
        -> RedisLimitOperation
    {
        let keys = RedisLimitKeys(prefix: prefix, name: name)
        return .settle(
            tokenKey: keys.tokens,
            slotsKey: keys.slots,
            second: second,
            tokenCorrection: correction,
            slotID: slot
        )
    }

    /// Runs `operations` as one call of the batch script.
    func runBatch(_ client: RedisClient, _ operations: [RedisLimitOperation]) async throws -> [ReserveAnswer?] {
        let batch = RedisLimitBatch(operations, slotLeaseMilliseconds: 60_000)
        let reply = try await client.run(RedisRateLimitScripts.batch, keys: batch.keys, arguments: batch.arguments)
            .get()
        let outcomes = try #require(RedisLimitBatch.outcomes(of: reply, for: operations))
        return outcomes.map {
            if case .reserved(let answer) = $0 { return answer }
            return nil
        }
    }

    // MARK: One batch, operations in order

    @Test func tokensAreAdmittedInOrderWhileTheyFit() async throws {
        let client = try testClient(url: try RedisTestServer.sharedURL())
        let costs = [400, 300, 500, 200, 100, 50, 0]
        let answers = try await runBatch(client, costs.map { reserve(tpm: 1000, cost: $0) })
        #expect(answers.map { $0?.admitted } == [true, true, false, true, true, false, true])
        #expect(answers.map { $0?.tokenUsed } == [400, 700, 700, 900, 1000, 1000, 1000])
        // The 500 waits for the first charge to leave the window; the 50 can fit after it too.
        #expect(answers[2].map { (59_000...60_000).contains($0.tokenWait) } == true)
        #expect(answers[5].map { (59_000...60_000).contains($0.tokenWait) } == true)
        #expect(answers.allSatisfy { $0?.tokenReset == 60_000 })
        let tooLarge = try await runBatch(client, [reserve(tpm: 1000, cost: 1001)])
        #expect(tooLarge.first??.tokenWait == -1)
        await client.shutdown()
    }

    @Test func settlesInABatchCorrectTheTokensOfTheReservesAfterThem() async throws {
        let client = try testClient(url: try RedisTestServer.sharedURL())
        let first = try #require(try await runBatch(client, [reserve(tpm: 1000, cost: 800)]).first ?? nil)
        #expect(first.admitted)
        let charged = first.second
        let answers = try await runBatch(
            client,
            [
                reserve(tpm: 1000, cost: 500),  // 800 + 500 does not fit
                settle(second: charged, correction: -600),  // the 800 was 200
                reserve(tpm: 1000, cost: 500),  // 700
                settle(second: charged - 120, correction: -50),  // aged out: nothing to refund
                settle(second: charged - 120, correction: 100),  // aged out: charged now, 800
                reserve(tpm: 1000, cost: 300),  // 1100 does not fit
                reserve(tpm: 1000, cost: 200),  // 1000
            ]
        )
        #expect(answers.map { $0?.admitted } == [false, nil, true, nil, nil, false, true])
        #expect(answers.map { $0?.tokenUsed } == [800, nil, 700, nil, nil, 800, 1000])

        // Written back once: the window holds what the batch left, and expires on its own.
        let keys = RedisLimitKeys(prefix: prefix, name: "dev")
        let fields = try #require(try await client.send(["HGETALL", keys.tokens]).array)
        var total: Int64 = 0
        for index in stride(from: 0, to: fields.count, by: 2) where fields[index].string?.first != "t" {
            total += fields[index + 1].integer ?? 0
        }
        #expect(total == 1000)
        let ttl = try #require(try await client.send(["TTL", keys.tokens]).integer)
        #expect((1...62).contains(ttl))
        await client.shutdown()
    }

    @Test func slotsFreedInABatchAreFreeForTheReservesAfterThem() async throws {
        let client = try testClient(url: try RedisTestServer.sharedURL())
        let answers = try await runBatch(
            client,
            [
                reserve(maxParallel: 2, slot: "a"),
                reserve(maxParallel: 2, slot: "b"),
                reserve(maxParallel: 2, slot: "c"),  // full
                settle(slot: "a"),
                reserve(maxParallel: 2, slot: "d"),
                settle(slot: "never-held"),
                reserve(maxParallel: 2, slot: "e"),  // full
            ]
        )
        #expect(answers.map { $0?.admitted } == [true, true, false, nil, true, nil, false])
        #expect(answers.map { $0?.inFlight } == [0, 1, 2, nil, 1, nil, 2])

        let keys = RedisLimitKeys(prefix: prefix, name: "dev")
        let held = try #require(try await client.send(["ZRANGE", keys.slots, "0", "-1"]).array)
        #expect(Set(held.compactMap(\.string)) == ["b", "d"])
        let ttl = try #require(try await client.send(["PTTL", keys.slots]).integer)
        #expect((1...60_000).contains(ttl))

        // A slot held before the batch is freed in it, and its place taken in the same call.
        let next = try await runBatch(
            client,
            [settle(slot: "b"), reserve(maxParallel: 2, slot: "f"), reserve(maxParallel: 2, slot: "g")]
        )
        #expect(next.map { $0?.admitted } == [nil, true, false])
        #expect(next.map { $0?.inFlight } == [nil, 1, 2])
        await client.shutdown()
    }

    @Test func keysInOneBatchStayIndependent() async throws {
        let client = try testClient(url: try RedisTestServer.sharedURL())
        let answers = try await runBatch(
            client,
            [
                reserve("alice", rpm: 1),
                reserve("bob", rpm: 2, tpm: 100, cost: 60),
                reserve("alice", rpm: 1),
                reserve("bob", rpm: 2, tpm: 100, cost: 60),
                reserve("bob", rpm: 2, tpm: 100, cost: 30, fallbackPool: true),
                reserve("carol", rpm: 1, tpm: 10, cost: 10),
            ]
        )
        #expect(answers.map { $0?.admitted } == [true, true, false, false, true, true])
        #expect(answers.map { $0?.requestUsed } == [1, 1, 1, 1, 2, 1])
        #expect(answers.map { $0?.tokenUsed } == [0, 60, 0, 60, 30, 10])
        await client.shutdown()
    }

    @Test func aReplyOfTheWrongShapeIsNoAnswer() {
        let operations = [reserve(rpm: 1), settle(slot: "a")]
        let answer = RESPValue.array((1...9).map { RESPValue.integer($0) })
        func outcomes(_ reply: RESPValue) -> [RedisLimitBatch.Outcome]? {
            RedisLimitBatch.outcomes(of: reply.bytes, for: operations)
        }
        #expect(outcomes(.array([answer, .integer(0)])) != nil)
        #expect(outcomes(.array([answer])) == nil)
        #expect(outcomes(.array([.integer(0), answer])) == nil)
        #expect(outcomes(.array([.array([.integer(1)]), .integer(0)])) == nil)
        #expect(outcomes(.integer(1)) == nil)
        #expect(outcomes(.array([.array((1...10).map { RESPValue.integer($0) }), .integer(0)])) == nil)
        #expect(outcomes(.array([.array((1...8).map { RESPValue.integer($0) } + [.null]), .integer(0)])) == nil)
    }

    /// The outcomes the reply holds, read from its parsed value: the reference for the reader.
    func parsedOutcomes(_ reply: RESPValue, for operations: [RedisLimitOperation]) -> [[Int64]?]? {
        guard let answers = reply.array, answers.count == operations.count else { return nil }
        var outcomes: [[Int64]?] = []
        for (operation, answer) in zip(operations, answers) {
            switch operation {
            case .reserve:
                guard let values = answer.array, values.count == 9, values.allSatisfy({ $0.integer != nil }) else {
                    return nil
                }
                // `admitted` is read as `== 1`.
                outcomes.append([values[0].integer == 1 ? 1 : 0] + values.dropFirst().map { $0.integer! })
            case .settle:
                guard answer.integer != nil else { return nil }
                outcomes.append(nil)
            }
        }
        return outcomes
    }

    @Test func theReplyIsReadInPlaceAsItsParsedValueSays() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            let operations = (0..<Int.random(in: 0...5, using: &generator)).map { _ in
                Bool.random(using: &generator) ? reserve(rpm: 1) : settle(slot: "a")
            }
            // The script's shape, then now and then one thing wrong with it.
            var answers: [RESPValue] = operations.map { operation in
                switch operation {
                case .reserve:
                    .array((0..<9).map { _ in .integer(Int64.random(in: -1...70_000, using: &generator)) })
                case .settle: .integer(0)
                }
            }
            var reply = RESPValue.array(answers)
            switch Int.random(in: 0..<6, using: &generator) {
            case 0: break
            case 1 where !answers.isEmpty:
                answers[Int.random(in: 0..<answers.count, using: &generator)] = .random(using: &generator)
                reply = .array(answers)
            case 2 where !answers.isEmpty:
                let index = Int.random(in: 0..<answers.count, using: &generator)
                if var values = answers[index].array {
                    values[Int.random(in: 0..<values.count, using: &generator)] = .random(using: &generator, depth: 0)
                    answers[index] = .array(values)
                }
                reply = .array(answers)
            case 3: reply = .array(answers.dropLast())
            case 4: reply = .array(answers + [.integer(0)])
            default: reply = .random(using: &generator)
            }
            let read = RedisLimitBatch.outcomes(of: reply.bytes, for: operations)?.map { outcome -> [Int64]? in
                guard case .reserved(let answer) = outcome else { return nil }
                return [
                    answer.admitted ? 1 : 0, answer.requestWait, answer.requestUsed, answer.requestReset,
                    answer.tokenWait, answer.tokenUsed, answer.tokenReset, answer.inFlight, answer.second,
                ]
            }
            #expect(read == parsedOutcomes(reply, for: operations), "\(reply)")
        }
    }

    /// The script's keys and arguments as they were built before they were written in place:
    /// strings, the keys numbered in the order they are first used.
    func argumentsAsStrings(
        _ operations: [RedisLimitOperation],
        lease: Int64
    ) -> (keys: [String], arguments: [String]) {
        var keys: [String] = []
        func number(_ key: String?) -> String {
            guard let key else { return "0" }
            if let index = keys.firstIndex(of: key) { return String(index + 1) }
            keys.append(key)
            return String(keys.count)
        }
        var arguments = [String(lease)]
        for operation in operations {
            switch operation {
            case .reserve(let names, let tokenKey, let rpm, let tpm, let maxParallel, let cost, let slotID):
                arguments += ["r", number(rpm.map { _ in names.requests })]
                arguments += [number(tpm.map { _ in tokenKey }), number(maxParallel.map { _ in names.slots })]
                arguments += [String(rpm ?? -1), String(tpm ?? -1), String(maxParallel ?? -1), String(cost)]
                arguments += [slotID ?? ""]
            case .settle(let tokenKey, let slotsKey, let second, let tokenCorrection, let slotID):
                arguments += [
                    "s", number(tokenCorrection != 0 ? tokenKey : nil), number(slotID != nil ? slotsKey : nil),
                ]
                arguments += [String(second), String(tokenCorrection), slotID ?? ""]
            }
        }
        return (keys, arguments)
    }

    @Test func theBatchIsWrittenAsItsStringsWouldBe() {
        var generator = SystemRandomNumberGenerator()
        func maybe(_ range: ClosedRange<Int>) -> Int? {
            Bool.random(using: &generator) ? Int.random(in: range, using: &generator) : nil
        }
        for _ in 0..<500 {
            let operations = (0..<Int.random(in: 0...20, using: &generator)).map { _ -> RedisLimitOperation in
                let name = ["alice", "bob", "{c}%"].randomElement(using: &generator)!
                if Bool.random(using: &generator) {
                    return reserve(
                        name, rpm: maybe(0...100), tpm: maybe(0...1_000_000), maxParallel: maybe(1...9),
                        cost: Int.random(in: 0...5000, using: &generator), slot: maybe(0...9).map { "slot-\($0)" },
                        fallbackPool: Bool.random(using: &generator))
                }
                return settle(
                    name, second: Int64.random(in: 0...1_800_000_000, using: &generator),
                    correction: Int.random(in: -2000...2000, using: &generator), slot: maybe(0...9).map { "s\($0)" })
            }
            let lease = Int64.random(in: 1000...900_000, using: &generator)
            let batch = RedisLimitBatch(operations, slotLeaseMilliseconds: lease)
            let strings = argumentsAsStrings(operations, lease: lease)
            #expect(batch.keys.count == strings.keys.count)
            #expect(batch.arguments.count == strings.arguments.count)
            #expect(batch.keys.bytes == Self.encoded(strings.keys))
            #expect(batch.arguments.bytes == Self.encoded(strings.arguments))
        }
    }

    static func encoded(_ arguments: [String]) -> ByteBuffer {
        var buffer = ByteBuffer()
        for argument in arguments { buffer.writeString("$\(argument.utf8.count)\r\n\(argument)\r\n") }
        return buffer
    }

    // MARK: Concurrent callers, batched by the limiter

    func concurrently<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) async -> T) async -> [T] {
        await withTaskGroup(of: T.self) { group in
            for index in 0..<count { group.addTask { await body(index) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
    }

    @Test func aBurstOnOneKeyAdmitsExactlyItsRPM() async throws {
        let (limiter, client) = try limiter(url: try RedisTestServer.sharedURL())
        let key = testPrincipal(rpm: 37, tpm: 1_000_000, maxParallel: 1000)
        let decisions = await concurrently(200) { _ in await limiter.reserve(key, estimatedTokens: 10) }
        #expect(decisions.compactMap(\.reservation).count == 37)
        #expect(decisions.compactMap(\.rejection).count == 163)
        #expect(decisions.compactMap(\.rejection).allSatisfy { $0.limit == .rpm })
        #expect(decisions.compactMap(\.reservation).allSatisfy { $0.ledger == .redis })
        await client.shutdown()
    }

    @Test func aBurstOfMixedCostsAdmitsExactlyWhatFits() async throws {
        let (limiter, client) = try limiter(url: try RedisTestServer.sharedURL())
        let key = testPrincipal(tpm: 1000)
        // Costs of 1, 2, 3, ...: whatever the order, the admitted ones fit and the next one not.
        let costs = Array(1...60)
        let decisions = await concurrently(costs.count) { index in
            (costs[index], await limiter.reserve(key, estimatedTokens: costs[index]))
        }
        let admitted = decisions.filter { $0.1.reservation != nil }.map(\.0).reduce(0, +)
        #expect(admitted <= 1000)
        let smallestRejected = try #require(decisions.filter { $0.1.rejection != nil }.map(\.0).min())
        #expect(admitted + smallestRejected > 1000)
        let after = try #require(await limiter.reserve(key, estimatedTokens: 0).reservation)
        #expect(after.snapshot.tokens?.remaining == 1000 - admitted)
        await client.shutdown()
    }

    @Test func parallelSlotsHoldUnderConcurrentReservesAndSettles() async throws {
        let (limiter, client) = try limiter(url: try RedisTestServer.sharedURL())
        let key = testPrincipal(rpm: 100_000, tpm: 10_000_000, maxParallel: 5)
        let holding = Holding()
        let admitted = await concurrently(40) { _ in
            var count = 0
            for _ in 0..<10 {
                guard let reservation = await limiter.reserve(key, estimatedTokens: 100).reservation else { continue }
                count += 1
                holding.counts.withLock {
                    $0.now += 1
                    $0.most = max($0.most, $0.now)
                }
                await Task.yield()
                holding.counts.withLock { $0.now -= 1 }
                await limiter.settle(reservation, actualTokens: 50)
            }
            return count
        }
        #expect(admitted.reduce(0, +) > 5)
        #expect(holding.counts.withLock { $0.most } <= 5)
        // Every slot was freed: five fit again, the sixth does not.
        let again = await concurrently(6) { _ in await limiter.reserve(key, estimatedTokens: 1) }
        #expect(again.compactMap(\.reservation).count == 5)
        #expect(again.compactMap(\.rejection).map(\.limit) == [.parallel])
        await client.shutdown()
    }

    @Test func concurrentSettlesCorrectTheTokens() async throws {
        let (limiter, client) = try limiter(url: try RedisTestServer.sharedURL())
        let key = testPrincipal(tpm: 100_000)
        let reservations = await concurrently(50) { _ in await limiter.reserve(key, estimatedTokens: 1000) }
            .compactMap(\.reservation)
        #expect(reservations.count == 50)
        // Half used less than reserved, half more, a few failed before any output (refunded).
        _ = await concurrently(reservations.count) { index in
            let actual: Int? = index % 10 == 9 ? nil : (index % 2 == 0 ? 400 : 1300)
            await limiter.settle(reservations[index], actualTokens: actual)
        }
        let expected = (0..<50).map { $0 % 10 == 9 ? 0 : ($0 % 2 == 0 ? 400 : 1300) }.reduce(0, +)
        let next = try #require(await limiter.reserve(key, estimatedTokens: 0).reservation)
        #expect(next.snapshot.tokens?.remaining == 100_000 - expected)
        await client.shutdown()
    }

    @Test func keysStayIndependentUnderABurst() async throws {
        let (limiter, client) = try limiter(url: try RedisTestServer.sharedURL())
        let keys = [testPrincipal("a", rpm: 5), testPrincipal("b", rpm: 10), testPrincipal("c", rpm: 15)]
        let decisions = await concurrently(150) { index in
            let key = keys[index % keys.count]
            return (key.name, await limiter.reserve(key, estimatedTokens: 1).reservation != nil)
        }
        for (name, limit) in [("a", 5), ("b", 10), ("c", 15)] {
            #expect(decisions.filter { $0.0 == name && $0.1 }.count == limit)
        }
        await client.shutdown()
    }

    @Test func theFallbackPoolIsCountedApartUnderABurst() async throws {
        let (limiter, client) = try limiter(url: try RedisTestServer.sharedURL())
        let key = testPrincipal(tpm: 1000, fallbackTPM: 500)
        let decisions = await concurrently(60) { index in
            index % 2 == 0
                ? await limiter.reserve(key, estimatedTokens: 100)
                : await limiter.reserveFallback(key, estimatedTokens: 100)
        }
        let reservations = decisions.compactMap(\.reservation)
        #expect(reservations.filter { $0.pool == .primary }.count == 10)
        #expect(reservations.filter { $0.pool == .fallback }.count == 5)
        #expect(decisions.compactMap(\.rejection).filter { $0.limit == .tpm }.count == 20)
        #expect(decisions.compactMap(\.rejection).filter { $0.limit == .fallbackTPM }.count == 25)
        // A fallback settle corrects the fallback window only.
        _ = await concurrently(reservations.count) { index in
            await limiter.settle(reservations[index], actualTokens: 20)
        }
        let fallback = try #require(await limiter.reserveFallback(key, estimatedTokens: 0).reservation)
        #expect(fallback.snapshot.tokens?.remaining == 400)
        let primary = try #require(await limiter.reserve(key, estimatedTokens: 0).reservation)
        #expect(primary.snapshot.tokens?.remaining == 800)
        await client.shutdown()
    }

    @Test func everyWaiterGetsItsFallbackDecisionWhenRedisStops() async throws {
        let server = try RedisTestServer()
        defer { server.stop() }
        let (open, openClient) = try limiter(url: server.url, failureMode: .open)
        let (closed, closedClient) = try limiter(url: server.url, failureMode: .closed)
        let key = testPrincipal(rpm: 30, maxParallel: 100)
        let held = await concurrently(20) { _ in await open.reserve(key, estimatedTokens: 0) }.compactMap(\.reservation)
        #expect(held.count == 20)
        #expect(held.allSatisfy { $0.ledger == .redis })
        #expect(await closed.reserve(testPrincipal("other", rpm: 30), estimatedTokens: 0).reservation != nil)

        server.stop()
        // Settles of the reservations held in Redis and new reserves, all waiting together.
        let openDecisions = await concurrently(60) { index -> RateLimitDecision? in
            if index < held.count {
                await open.settle(held[index], actualTokens: 1)
                return nil
            }
            return await open.reserve(key, estimatedTokens: 0)
        }
        let reserves = openDecisions.compactMap { $0 }
        #expect(reserves.count == 40)
        // In process, each replica enforces the full limit on its own, from an empty window.
        #expect(reserves.compactMap(\.reservation).count == 30)
        #expect(reserves.compactMap(\.reservation).allSatisfy { $0.ledger == .inProcess })
        #expect(reserves.compactMap(\.rejection).allSatisfy { $0.limit == .rpm })
        #expect(open.isDegraded)

        let closedDecisions = await concurrently(40) { _ in await closed.reserve(key, estimatedTokens: 0) }
        #expect(closedDecisions.allSatisfy { $0 == .unavailable })
        #expect(closed.redisErrorCount >= 1)
        await openClient.shutdown()
        await closedClient.shutdown()
    }

    final class Holding: Sendable {
        let counts = Mutex((now: 0, most: 0))
    }

    @Test func everyWaiterIsAnsweredWhenTheClientShutsDown() async throws {
        let (limiter, client) = try limiter(url: try RedisTestServer.sharedURL(), failureMode: .closed)
        let key = testPrincipal(rpm: 1000)
        let decisions = await withTaskGroup(of: RateLimitDecision.self) { group in
            for _ in 0..<80 { group.addTask { await limiter.reserve(key, estimatedTokens: 0) } }
            group.addTask {
                await client.shutdown()
                return .unavailable
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(decisions.count == 81)
        // Each one either went out before the shutdown or was refused: none was lost.
        #expect(decisions.allSatisfy { $0 == .unavailable || $0.reservation != nil })
    }
}
