import Foundation
import RelayRedis
import RelayTestSupport
import Testing

@testable import RelayCore

@Suite struct RedisQuotaStoreTests {
    /// Each test's API key name, so tests can share one server.
    let name = "quota-test-\(UInt64.random(in: 0 ... .max))"

    /// The windows of this machine's clock, which the Redis under test shares.
    static func clockWindows() -> QuotaWindows {
        QuotaWindows(unixSeconds: Int64(Date().timeIntervalSince1970))
    }

    static func unixSeconds(_ iso: String) throws -> Int64 {
        Int64(try #require(ISO8601DateFormatter().date(from: iso)).timeIntervalSince1970)
    }

    @Test func reserveCountsAllOrNothing() async throws {
        let client = try testClient(url: try RedisTestServer.sharedURL())
        let store = RedisQuotaStore(client: client)
        let limits: [QuotaMeter: Int64] = [.requestsPerDay: 10, .tokensPerDay: 1000]
        let first = try await store.reserve(
            key: name, amounts: [.requestsPerDay: 1, .tokensPerDay: 900, .usdPerMonth: 5000], limits: limits)
        guard case .admitted = first else {
            Issue.record("first reservation refused: \(first)")
            return
        }
        // Requests still fit, tokens do not: nothing of it is counted.
        let second = try await store.reserve(
            key: name, amounts: [.requestsPerDay: 1, .tokensPerDay: 200, .usdPerMonth: 5000], limits: limits)
        guard case .exceeded(let meter, _, _) = second else {
            Issue.record("over-limit reservation admitted: \(second)")
            return
        }
        #expect(meter == .tokensPerDay)
        let usage = try await store.usage(keys: [name])
        #expect(usage.used[name] == [.requestsPerDay: 1, .tokensPerDay: 900, .usdPerMonth: 5000])
        await client.shutdown()
    }

    @Test func limitReachedExactlyAdmitsAndTheNextIsExceededUntilTheMonthEnds() async throws {
        let client = try testClient(url: try RedisTestServer.sharedURL())
        let store = RedisQuotaStore(client: client)
        for _ in 0..<3 {
            let answer = try await store.reserve(
                key: name, amounts: [.tokensPerMonth: 100], limits: [.tokensPerMonth: 300])
            guard case .admitted = answer else {
                Issue.record("reservation within the limit refused: \(answer)")
                return
            }
        }
        let answer = try await store.reserve(key: name, amounts: [.tokensPerMonth: 1], limits: [.tokensPerMonth: 300])
        guard case .exceeded(let meter, let resetAt, let now) = answer else {
            Issue.record("reservation over the limit admitted: \(answer)")
            return
        }
        #expect(meter == .tokensPerMonth)
        #expect(resetAt > now)
        #expect(resetAt == QuotaWindows(unixSeconds: now).resetAt(.month))
        #expect(abs(now - Int64(Date().timeIntervalSince1970)) <= 2)
        #expect(try await store.usage(keys: [name]).used[name]?[.tokensPerMonth] == 300)
        await client.shutdown()
    }

    /// Retrying before the later window ends would be refused again; `FileQuotaStore` answers
    /// the same.
    @Test func ofTwoMetersOverTheirLimitsTheOneResettingLaterIsReported() async throws {
        let client = try testClient(url: try RedisTestServer.sharedURL())
        let store = RedisQuotaStore(client: client)
        let limits: [QuotaMeter: Int64] = [.requestsPerDay: 1, .tokensPerMonth: 100]
        _ = try await store.reserve(key: name, amounts: [.requestsPerDay: 1, .tokensPerMonth: 100], limits: limits)
        let answer = try await store.reserve(
            key: name, amounts: [.requestsPerDay: 1, .tokensPerMonth: 1], limits: limits)
        guard case .exceeded(let meter, let resetAt, let now) = answer else {
            Issue.record("over-limit reservation admitted: \(answer)")
            return
        }
        let windows = QuotaWindows(unixSeconds: now)
        // On a month's last day both windows end at the same midnight: the first meter is named.
        let later: QuotaMeter = windows.resetAt(.month) > windows.resetAt(.day) ? .tokensPerMonth : .requestsPerDay
        #expect(meter == later)
        #expect(resetAt == windows.resetAt(.month))
        await client.shutdown()
    }

    @Test func adjustAddsAndGivesBackWithoutGoingBelowZero() async throws {
        let client = try testClient(url: try RedisTestServer.sharedURL())
        let store = RedisQuotaStore(client: client)
        let answer = try await store.reserve(
            key: name, amounts: [.tokensPerDay: 500, .usdPerMonth: 300], limits: [.tokensPerDay: 1000])
        guard case .admitted(let windows) = answer else {
            Issue.record("reservation refused: \(answer)")
            return
        }
        try await store.adjust(key: name, deltas: [.tokensPerDay: -200, .usdPerMonth: 150], windows: windows)
        var used = try await store.usage(keys: [name]).used[name]
        #expect(used?[.tokensPerDay] == 300)
        #expect(used?[.usdPerMonth] == 450)
        // What really happened is counted even past the limit.
        try await store.adjust(key: name, deltas: [.tokensPerDay: 900], windows: windows)
        #expect(try await store.usage(keys: [name]).used[name]?[.tokensPerDay] == 1200)
        try await store.adjust(key: name, deltas: [.tokensPerDay: -5000, .usdPerMonth: -1], windows: windows)
        used = try await store.usage(keys: [name]).used[name]
        #expect(used?[.tokensPerDay] == 0)
        #expect(used?[.usdPerMonth] == 449)
        let ttl = try #require(try await client.send(["TTL", store.counterKey(name, .tokensPerDay, windows)]).integer)
        #expect(ttl > 0)
        await client.shutdown()
    }

    @Test func adjustSettlesInTheWindowsItIsGivenNotTheCurrentOnes() async throws {
        let client = try testClient(url: try RedisTestServer.sharedURL())
        let store = RedisQuotaStore(client: client)
        let today = Self.clockWindows()
        // A call counted yesterday that ends today.
        let yesterday = QuotaWindows(day: today.day - 1, month: today.month)
        try await store.adjust(key: name, deltas: [.tokensPerDay: 70], windows: yesterday)
        #expect(try await store.usage(keys: [name]).used[name]?[.tokensPerDay] == nil)
        let counter = store.counterKey(name, .tokensPerDay, yesterday)
        #expect(try await client.send(["GET", counter]).integer == 70)
        let ttl = try #require(try await client.send(["TTL", counter]).integer)
        #expect(ttl > 0)
        await client.shutdown()
    }

    @Test func reserveCountsInTheWindowsOfTheClock() async throws {
        let client = try testClient(url: try RedisTestServer.sharedURL())
        let store = RedisQuotaStore(client: client)
        // Redis and the test read the same clock; a day that ends mid-call is tried again.
        for _ in 0..<2 {
            let before = Self.clockWindows()
            let answer = try await store.reserve(key: name, amounts: [.requestsPerDay: 1], limits: [:])
            let usage = try await store.usage(keys: [name])
            guard before == Self.clockWindows() else { continue }
            #expect(answer == .admitted(before))
            #expect(usage.windows == before)
            await client.shutdown()
            return
        }
        Issue.record("the day changed twice during the test")
        await client.shutdown()
    }

    @Test func countersExpireADayAfterTheirWindowEnds() async throws {
        let client = try testClient(url: try RedisTestServer.sharedURL())
        let store = RedisQuotaStore(client: client)
        let answer = try await store.reserve(
            key: name, amounts: [.requestsPerDay: 1, .tokensPerMonth: 10], limits: [.requestsPerDay: 5])
        guard case .admitted(let windows) = answer else {
            Issue.record("reservation refused: \(answer)")
            return
        }
        let day = "relay:quota:{\(name)}:requests_per_day:\(windows.day)"
        let month = "relay:quota:{\(name)}:tokens_per_month:\(windows.month)"
        #expect(store.counterKey(name, .requestsPerDay, windows) == day)
        #expect(try await client.send(["EXPIRETIME", day]).integer == windows.resetAt(.day) + 86_400)
        #expect(try await client.send(["EXPIRETIME", month]).integer == windows.resetAt(.month) + 86_400)
        #expect(try #require(try await client.send(["TTL", day]).integer) > 86_400)
        await client.shutdown()
    }

    @Test func twoReplicasAdmitExactlyTheLimitTogether() async throws {
        let url = try RedisTestServer.sharedURL()
        let clients = [try testClient(url: url), try testClient(url: url)]
        let replicas = clients.map { RedisQuotaStore(client: $0) }
        let key = name
        let answers = try await withThrowingTaskGroup(of: QuotaReservation.self) { group in
            for index in 0..<30 {
                let replica = replicas[index % 2]
                group.addTask {
                    try await replica.reserve(key: key, amounts: [.requestsPerDay: 1], limits: [.requestsPerDay: 9])
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        var admitted = 0
        for answer in answers {
            switch answer {
            case .admitted: admitted += 1
            case .exceeded(let meter, let resetAt, let now):
                #expect(meter == .requestsPerDay)
                #expect(resetAt > now)
            }
        }
        #expect(admitted == 9)
        #expect(try await replicas[1].usage(keys: [key]).used[key]?[.requestsPerDay] == 9)
        for client in clients { await client.shutdown() }
    }

    /// The key's usage once a restarted Redis has loaded its file: it accepts connections
    /// before, answering LOADING meanwhile.
    static func usageOnceLoaded(_ store: RedisQuotaStore, key: String) async throws -> [QuotaMeter: Int64]? {
        for _ in 0..<50 {
            do {
                return try await store.usage(keys: [key]).used[key]
            } catch {
                guard error.reason.contains("LOADING") else { throw error }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try await store.usage(keys: [key]).used[key]
    }

    @Test func countsSurviveARedisRestartWithAppendOnly() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("relay-quota-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try RedisTestServer(arguments: [
            "--appendonly", "yes", "--appendfsync", "everysec", "--dir", directory.path,
        ])
        let client = try testClient(url: server.url)
        let answer = try await RedisQuotaStore(client: client).reserve(
            key: name, amounts: [.requestsPerDay: 1, .usdPerMonth: 1_250_000], limits: [.requestsPerDay: 2])
        guard case .admitted = answer else {
            Issue.record("reservation refused: \(answer)")
            return
        }
        await client.shutdown()
        server.stop()
        try server.start()

        let restarted = try testClient(url: server.url)
        let store = RedisQuotaStore(client: restarted)
        let usage = try await Self.usageOnceLoaded(store, key: name)
        #expect(usage == [.requestsPerDay: 1, .usdPerMonth: 1_250_000])
        let next = try await store.reserve(key: name, amounts: [.requestsPerDay: 2], limits: [.requestsPerDay: 2])
        guard case .exceeded(.requestsPerDay, _, _) = next else {
            Issue.record("the restarted Redis forgot the day's request: \(next)")
            return
        }
        await restarted.shutdown()
        server.stop()
    }

    @Test(arguments: [
        "1970-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "2000-02-29T12:00:00Z", "2023-12-31T23:59:59Z",
        "2024-01-01T00:00:00Z", "2024-02-29T23:59:59Z", "2024-03-01T00:00:00Z", "2038-01-19T03:14:08Z",
        "2099-12-31T23:59:59Z", "2100-02-28T23:59:59Z", "2100-03-01T00:00:00Z",
    ])
    func luaCalendarAgreesWithQuotaWindows(_ instant: String) async throws {
        let client = try testClient(url: try RedisTestServer.sharedURL())
        let seconds = try Self.unixSeconds(instant)
        let reply = try await client.run(RedisQuotaScripts.windows, keys: [], arguments: [String(seconds)])
        let windows = QuotaWindows(unixSeconds: seconds)
        #expect(
            reply.array?.compactMap(\.integer)
                == [windows.day, windows.month, windows.resetAt(.day), windows.resetAt(.month)])

        // And with Foundation's Gregorian calendar: the month ends at the first of the next.
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        let date = Date(timeIntervalSince1970: TimeInterval(seconds))
        let monthStart = try #require(calendar.date(from: calendar.dateComponents([.year, .month], from: date)))
        let nextMonth = try #require(calendar.date(byAdding: .month, value: 1, to: monthStart))
        #expect(reply.array?.last?.integer == Int64(nextMonth.timeIntervalSince1970))
        await client.shutdown()
    }

    @Test func luaCalendarWithoutAnInstantReadsRedisClock() async throws {
        let client = try testClient(url: try RedisTestServer.sharedURL())
        for _ in 0..<2 {
            let before = Self.clockWindows()
            let reply = try await client.run(RedisQuotaScripts.windows, keys: [], arguments: [])
            guard before == Self.clockWindows() else { continue }
            #expect(reply.array?.compactMap(\.integer).prefix(2) == [before.day, before.month])
            await client.shutdown()
            return
        }
        Issue.record("the day changed twice during the test")
        await client.shutdown()
    }

    @Test func namesWithBracesKeepTheirOwnCountersInOneHashTag() async throws {
        let client = try testClient(url: try RedisTestServer.sharedURL())
        let store = RedisQuotaStore(client: client)
        let braced = name + "{x}"
        let lookalike = name + "%7Bx%7D"
        _ = try await store.reserve(key: braced, amounts: [.requestsPerDay: 1], limits: [:])
        _ = try await store.reserve(key: lookalike, amounts: [.requestsPerDay: 2], limits: [:])
        let usage = try await store.usage(keys: [braced, lookalike, name])
        #expect(usage.used[braced] == [.requestsPerDay: 1])
        #expect(usage.used[lookalike] == [.requestsPerDay: 2])
        #expect(usage.used[name] == [:])
        let counter = store.counterKey(braced, .requestsPerDay, usage.windows)
        #expect(counter.filter { $0 == "{" }.count == 1 && counter.filter { $0 == "}" }.count == 1)
        #expect(try await client.send(["GET", counter]).integer == 1)
        await client.shutdown()
    }

    @Test func unreachableRedisThrowsWithoutNamingIt() async throws {
        let server = try RedisTestServer()
        let port = server.port
        server.stop()
        let client = try testClient(url: "redis://relay:s3cret-pass@127.0.0.1:\(port)/0")
        let store = RedisQuotaStore(client: client)
        var reasons: [String] = []
        do {
            _ = try await store.reserve(key: name, amounts: [.requestsPerDay: 1], limits: [.requestsPerDay: 1])
        } catch {
            reasons.append(error.reason)
        }
        do {
            try await store.adjust(key: name, deltas: [.tokensPerDay: 1], windows: Self.clockWindows())
        } catch {
            reasons.append(error.reason)
        }
        do {
            _ = try await store.usage(keys: [name])
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
