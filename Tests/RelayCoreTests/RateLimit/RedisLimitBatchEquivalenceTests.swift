import RelayRedis
import RelayTestSupport
import Testing

@testable import RelayCore

/// The batch script decides as one script per operation would: the same random operations run
/// one call each with `OneOperationScripts` on some keys and as one batch on others give the
/// same decisions, counts and slots, and waits and resets that differ only by the time between
/// the calls.
@Suite struct RedisLimitBatchEquivalenceTests {
    let prefix = "relay-equivalence-test:\(UInt64.random(in: 0 ... .max)):"

    struct Reserve {
        var name: String
        var rpm: Int?
        var tpm: Int?
        var maxParallel: Int?
        var cost: Int
        var slot: String?
    }

    enum Step {
        case reserve(Reserve)
        /// Settles the admitted reserve of the first phase at this index with these tokens.
        case settle(Int, actual: Int)
    }

    func randomReserve(_ random: inout SplitMix64, serial: Int) -> Reserve {
        let maxParallel = Bool.random(using: &random) ? Int.random(in: 1...4, using: &random) : nil
        return Reserve(
            name: ["alice", "bob"].randomElement(using: &random)!,
            rpm: Bool.random(using: &random) ? Int.random(in: 2...12, using: &random) : nil,
            tpm: Bool.random(using: &random) ? Int.random(in: 0...1500, using: &random) : nil,
            maxParallel: maxParallel,
            cost: Int.random(in: 0...400, using: &random),
            slot: maxParallel != nil ? "slot-\(serial)" : nil
        )
    }

    /// Runs `steps` one script call each under `prefix + "one:"`.
    func runOneByOne(
        _ client: RedisClient,
        _ steps: [Step],
        admitted: [(Reserve, ReserveAnswer)]
    ) async throws -> [ReserveAnswer?] {
        var answers: [ReserveAnswer?] = []
        for step in steps {
            switch step {
            case .reserve(let reserve):
                let keys = RedisLimitKeys(prefix: prefix + "one:", name: reserve.name)
                let reply = try await client.run(
                    OneOperationScripts.reserve,
                    keys: [keys.requests, keys.tokens, keys.slots],
                    arguments: [
                        String(reserve.rpm ?? -1), String(reserve.tpm ?? -1), String(reserve.maxParallel ?? -1),
                        String(reserve.cost), reserve.slot ?? "", "60000",
                    ]
                )
                var reader = RESPReader(reply.bytes)
                answers.append(try #require(ReserveAnswer(&reader)))
            case .settle(let index, let actual):
                let (reserve, answer) = admitted[index]
                let keys = RedisLimitKeys(prefix: prefix + "one:", name: reserve.name)
                _ = try await client.run(
                    OneOperationScripts.settle,
                    keys: [keys.tokens, keys.slots],
                    arguments: [
                        String(answer.second), String(reserve.tpm != nil ? actual - reserve.cost : 0),
                        reserve.slot ?? "",
                    ]
                )
                answers.append(nil)
            }
        }
        return answers
    }

    /// Runs `steps` as one batch under `prefix + "batch:"`.
    func runBatched(
        _ client: RedisClient,
        _ steps: [Step],
        admitted: [(Reserve, ReserveAnswer)]
    ) async throws -> [ReserveAnswer?] {
        let operations = steps.map { step -> RedisLimitOperation in
            switch step {
            case .reserve(let reserve):
                let keys = RedisLimitKeys(prefix: prefix + "batch:", name: reserve.name)
                return .reserve(
                    keys: keys,
                    tokenKey: keys.tokens,
                    rpm: reserve.rpm,
                    tpm: reserve.tpm,
                    maxParallel: reserve.maxParallel,
                    cost: reserve.cost,
                    slotID: reserve.slot
                )
            case .settle(let index, let actual):
                let (reserve, answer) = admitted[index]
                let keys = RedisLimitKeys(prefix: prefix + "batch:", name: reserve.name)
                return .settle(
                    tokenKey: keys.tokens,
                    slotsKey: keys.slots,
                    second: answer.second,
                    tokenCorrection: reserve.tpm != nil ? actual - reserve.cost : 0,
                    slotID: reserve.slot
                )
            }
        }
        let batch = RedisLimitBatch(operations, slotLeaseMilliseconds: 60_000)
        let reply = try await client.run(RedisRateLimitScripts.batch, keys: batch.keys, arguments: batch.arguments)
            .get()
        return try #require(RedisLimitBatch.outcomes(of: reply, for: operations)).map {
            if case .reserved(let answer) = $0 { return answer }
            return nil
        }
    }

    /// The same answer, up to the time that passed between the calls: `tolerance` ms.
    func agree(_ one: ReserveAnswer?, _ batched: ReserveAnswer?, tolerance: Int64) -> Bool {
        guard let one, let batched else { return one == nil && batched == nil }
        func close(_ a: Int64, _ b: Int64) -> Bool {
            (a <= 0 || b <= 0) ? a == b : abs(a - b) <= tolerance
        }
        return one.admitted == batched.admitted && one.requestUsed == batched.requestUsed
            && one.tokenUsed == batched.tokenUsed && one.inFlight == batched.inFlight
            && close(one.requestWait, batched.requestWait) && close(one.tokenWait, batched.tokenWait)
            && close(one.requestReset, batched.requestReset) && close(one.tokenReset, batched.tokenReset)
    }

    @Test(arguments: 0..<4) func randomOperationsDecideAsOneScriptEach(round: Int) async throws {
        let seed = UInt64.random(in: 0 ... .max)
        var random = SplitMix64(seed: seed)
        let client = try testClient(url: try RedisTestServer.sharedURL())
        let started = ContinuousClock.now
        let tolerance = { () -> Int64 in
            1000 + Int64((ContinuousClock.now - started).components.seconds + 1) * 1000
        }

        // First phase: reserves only.
        let first = (0..<80).map { Step.reserve(randomReserve(&random, serial: $0)) }
        let oneFirst = try await runOneByOne(client, first, admitted: [])
        let batchedFirst = try await runBatched(client, first, admitted: [])
        for index in first.indices {
            #expect(
                agree(oneFirst[index], batchedFirst[index], tolerance: tolerance()),
                "seed \(seed), step \(index): \(String(describing: oneFirst[index])) vs \(String(describing: batchedFirst[index]))"
            )
        }
        #expect(oneFirst.contains { $0?.admitted == true } && oneFirst.contains { $0?.admitted == false })

        // Second phase: settles of the admitted ones, mixed with new reserves.
        var oneAdmitted: [(Reserve, ReserveAnswer)] = []
        var batchedAdmitted: [(Reserve, ReserveAnswer)] = []
        for (index, step) in first.enumerated() {
            guard case .reserve(let reserve) = step, let one = oneFirst[index], let batched = batchedFirst[index],
                one.admitted, batched.admitted
            else { continue }
            oneAdmitted.append((reserve, one))
            batchedAdmitted.append((reserve, batched))
        }
        var second = oneAdmitted.indices.shuffled(using: &random).map {
            Step.settle($0, actual: Int.random(in: 0...600, using: &random))
        }
        for serial in 100..<160 {
            second.insert(
                .reserve(randomReserve(&random, serial: serial)),
                at: Int.random(in: 0...second.count, using: &random)
            )
        }
        let oneSecond = try await runOneByOne(client, second, admitted: oneAdmitted)
        let batchedSecond = try await runBatched(client, second, admitted: batchedAdmitted)
        for index in second.indices {
            #expect(
                agree(oneSecond[index], batchedSecond[index], tolerance: tolerance()),
                "seed \(seed), second phase step \(index): \(String(describing: oneSecond[index])) vs \(String(describing: batchedSecond[index]))"
            )
        }

        // The slots left held are the same ones.
        for name in ["alice", "bob"] {
            let one = try await client.send([
                "ZRANGE", RedisLimitKeys(prefix: prefix + "one:", name: name).slots, "0", "-1",
            ])
            let batched = try await client.send([
                "ZRANGE", RedisLimitKeys(prefix: prefix + "batch:", name: name).slots, "0", "-1",
            ])
            #expect(Set(one.array?.compactMap(\.string) ?? []) == Set(batched.array?.compactMap(\.string) ?? []))
        }
        await client.shutdown()
    }
}

/// The limiter's scripts of one operation per call, as it ran them before reserves and settles
/// were batched: the reference the batch script must agree with, operation by operation.
enum OneOperationScripts {
    /// KEYS: requests hash, tokens hash, slots sorted set.
    /// ARGV: rpm, tpm, max_parallel (each -1 for none), cost, slot id, slot lease (ms).
    /// Answers `{admitted, request wait, request used, request reset, token wait, token used,
    /// token reset, parallel in flight, second}`: waits in ms, -1 = never fits; resets in ms.
    static let reserve = RedisScript(
        """
        local time = redis.call('TIME')
        local second = tonumber(time[1])
        local now = second * 1000 + math.floor(tonumber(time[2]) / 1000)
        local rpm, tpm, parallel = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
        local cost, lease = tonumber(ARGV[4]), tonumber(ARGV[6])

        local function load(key)
          local flat = redis.call('HGETALL', key)
          local latest = {}
          for i = 1, #flat, 2 do
            if string.sub(flat[i], 1, 1) == 't' then latest[string.sub(flat[i], 2)] = tonumber(flat[i + 1]) end
          end
          local buckets, used, expired = {}, 0, {}
          for i = 1, #flat, 2 do
            local field = flat[i]
            if string.sub(field, 1, 1) ~= 't' then
              local at, amount = tonumber(field), tonumber(flat[i + 1])
              local last = at * 1000 + (latest[field] or 999)
              if last + 60000 <= now then
                expired[#expired + 1] = field
                expired[#expired + 1] = 't' .. field
              else
                buckets[#buckets + 1] = {at, amount, last}
                used = used + amount
              end
            end
          end
          if #expired > 0 then redis.call('HDEL', key, unpack(expired)) end
          table.sort(buckets, function(a, b) return a[3] < b[3] end)
          return buckets, used
        end

        -- A bucket's charges count until 60 s after its latest; a clock stepped back on the
        -- server never makes a wait longer than the window.
        local function untilExpiry(bucket)
          return math.min(60000, bucket[3] + 60000 - now)
        end

        local function wait(buckets, used, amount, limit)
          if amount > limit then return -1 end
          local excess = used + amount - limit
          if excess <= 0 then return 0 end
          for _, bucket in ipairs(buckets) do
            excess = excess - bucket[2]
            if excess <= 0 then return untilExpiry(bucket) end
          end
          return 60000
        end

        local function reset(buckets)
          for i = #buckets, 1, -1 do
            if buckets[i][2] > 0 then return untilExpiry(buckets[i]) end
          end
          return 0
        end

        local function charge(key, amount)
          redis.call('HINCRBY', key, second, amount)
          redis.call('HSET', key, 't' .. second, now - second * 1000)
          redis.call('EXPIRE', key, 62)
        end

        local requestWait, requestUsed, requestReset = 0, 0, 0
        local requestBuckets
        if rpm >= 0 then
          requestBuckets, requestUsed = load(KEYS[1])
          requestWait = wait(requestBuckets, requestUsed, 1, rpm)
          requestReset = reset(requestBuckets)
        end
        local tokenWait, tokenUsed, tokenReset = 0, 0, 0
        local tokenBuckets
        if tpm >= 0 then
          tokenBuckets, tokenUsed = load(KEYS[2])
          tokenWait = wait(tokenBuckets, tokenUsed, cost, tpm)
          tokenReset = reset(tokenBuckets)
        end
        local inFlight = 0
        if parallel >= 0 then
          redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
          inFlight = redis.call('ZCARD', KEYS[3])
        end

        local admitted = requestWait == 0 and tokenWait == 0 and (parallel < 0 or inFlight < parallel)
        if admitted then
          if rpm >= 0 then
            charge(KEYS[1], 1)
            requestUsed = requestUsed + 1
            requestReset = 60000
          end
          if tpm >= 0 then
            charge(KEYS[2], cost)
            tokenUsed = tokenUsed + cost
            if cost > 0 then tokenReset = 60000 end
          end
          if parallel >= 0 then
            redis.call('ZADD', KEYS[3], now + lease, ARGV[5])
            redis.call('PEXPIRE', KEYS[3], lease)
          end
        end
        return {admitted and 1 or 0, requestWait, requestUsed, requestReset,
                tokenWait, tokenUsed, tokenReset, inFlight, second}
        """
    )

    /// KEYS: tokens hash, slots sorted set.
    /// ARGV: the second charged, the token correction (actual - charged), slot id ("" for none).
    /// A correction goes to the second charged while it still counts; an extra charge for a
    /// second that aged out goes to the current one.
    static let settle = RedisScript(
        """
        local time = redis.call('TIME')
        local second = tonumber(time[1])
        local now = second * 1000 + math.floor(tonumber(time[2]) / 1000)
        if ARGV[3] ~= '' then redis.call('ZREM', KEYS[2], ARGV[3]) end
        local charged, delta = ARGV[1], tonumber(ARGV[2])
        if delta == 0 then return 0 end
        local amount = redis.call('HGET', KEYS[1], charged)
        local last = tonumber(charged) * 1000 + tonumber(redis.call('HGET', KEYS[1], 't' .. charged) or '999')
        if amount and last + 60000 > now then
          redis.call('HSET', KEYS[1], charged, math.max(0, tonumber(amount) + delta))
        elseif delta > 0 then
          redis.call('HINCRBY', KEYS[1], second, delta)
          redis.call('HSET', KEYS[1], 't' .. second, now - second * 1000)
        else
          return 0
        end
        redis.call('EXPIRE', KEYS[1], 62)
        return 1
        """
    )
}
