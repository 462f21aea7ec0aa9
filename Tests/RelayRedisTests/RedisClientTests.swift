import NIOCore
import RelayRedis
import RelayTestSupport
import Testing

@Suite struct RedisClientTests {
    /// Keys of this test run, so tests can share one server.
    let prefix = "relay-test:\(UInt64.random(in: 0 ... .max)):"

    @Test func sendsCommandsAndReadsEveryReplyType() async throws {
        let client = try testClient(url: try RedisTestServer.sharedURL())
        #expect(try await client.send(["SET", prefix + "a", "hello"]) == .simpleString("OK"))
        #expect(try await client.send(["GET", prefix + "a"]).string == "hello")
        #expect(try await client.send(["GET", prefix + "missing"]) == .null)
        #expect(try await client.send(["INCRBY", prefix + "n", "5"]) == .integer(5))
        _ = try await client.send(["RPUSH", prefix + "list", "x", "y"])
        let list = try await client.send(["LRANGE", prefix + "list", "0", "-1"])
        #expect(list.array?.compactMap(\.string) == ["x", "y"])
        await #expect(throws: RedisClientError.server("ERR unknown command 'NOPE', with args beginning with: ")) {
            try await client.send(["NOPE"])
        }
        _ = try await client.send(["DEL", prefix + "a", prefix + "n", prefix + "list"])
        await client.shutdown()
    }

    @Test func pipelinesManyConcurrentCommands() async throws {
        let client = try testClient(url: try RedisTestServer.sharedURL()) { $0.connectionCount = 3 }
        let key = prefix + "counter"
        let replies = try await withThrowingTaskGroup(of: Int64.self) { group in
            for _ in 0..<2000 {
                group.addTask { try await client.send(["INCR", key]).integer ?? -1 }
            }
            return try await group.reduce(into: Set<Int64>()) { $0.insert($1) }
        }
        #expect(replies == Set(1...2000))
        #expect(try await client.send(["GET", key]).integer == 2000)
        _ = try await client.send(["DEL", key])
        await client.shutdown()
    }

    @Test func authenticatesAndSelectsTheDatabase() async throws {
        let server = try RedisTestServer(arguments: ["--requirepass", "s3cr:t@x"])
        defer { server.stop() }
        let url = "redis://default:s3cr%3At%40x@127.0.0.1:\(server.port)/3"
        let client = try testClient(url: url)
        _ = try await client.send(["SET", "where", "three"])
        #expect(try await client.send(["CLIENT", "INFO"]).string?.contains(" db=3 ") == true)

        let databaseZero = try testClient(url: "redis://:s3cr%3At%40x@127.0.0.1:\(server.port)")
        #expect(try await databaseZero.send(["GET", "where"]) == .null)

        let wrongPassword = try testClient(url: "redis://:nope@127.0.0.1:\(server.port)/0")
        await #expect {
            try await wrongPassword.send(["PING"])
        } throws: { error in
            guard case .connectionFailed(let message) = error as? RedisClientError else { return false }
            return message.contains("WRONGPASS") && !message.contains("nope")
        }
        for client in [client, databaseZero, wrongPassword] { await client.shutdown() }
    }

    @Test func reconnectsAfterTheServerDropsTheConnection() async throws {
        let url = try RedisTestServer.sharedURL()
        let client = try testClient(url: url) { $0.connectionCount = 1 }
        let admin = try testClient(url: url)
        let firstID = try #require(try await client.send(["CLIENT", "ID"]).integer)
        _ = try await admin.send(["CLIENT", "KILL", "ID", String(firstID)])

        // A command racing the close may fail with `.connectionClosed`; the next ones reconnect.
        var secondID: Int64?
        for _ in 0..<50 where secondID == nil {
            secondID = try? await client.send(["CLIENT", "ID"]).integer
            if secondID == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(secondID != nil)
        #expect(secondID != firstID)
        await client.shutdown()
        await admin.shutdown()
    }

    @Test func aCommandWithoutAnswerTimesOut() async throws {
        let client = try testClient(url: try RedisTestServer.sharedURL()) {
            $0.commandTimeout = .milliseconds(200)
            $0.connectionCount = 1
        }
        let started = ContinuousClock.now
        await #expect(throws: RedisClientError.timeout) {
            try await client.send(["BLPOP", prefix + "never-filled", "60"])
        }
        // Well before the 60 s the server would block, even with the whole suite running under a
        // sanitizer on two cores (seen: 7 s there, for a 200 ms timeout).
        #expect(ContinuousClock.now - started < .seconds(30))
        // The connection that timed out was closed; the next command gets a fresh one.
        #expect(try await client.send(["PING"]) == .simpleString("PONG"))
        await client.shutdown()
    }

    @Test func unreachableServerFailsFastAndBacksOff() async throws {
        let server = try RedisTestServer()
        let port = server.port
        server.stop()
        let client = try testClient(url: "redis://127.0.0.1:\(port)/0") {
            $0.connectionCount = 1
            $0.firstReconnectDelay = .seconds(30)
        }
        await #expect {
            try await client.send(["PING"])
        } throws: { error in
            if case .connectionFailed = error as? RedisClientError { return true }
            return false
        }
        // While it waits to reconnect, commands fail at once instead of waiting for the 30 s
        // delay (the bound leaves room for the whole suite under a sanitizer on two cores).
        let started = ContinuousClock.now
        await #expect(throws: RedisClientError.self) { try await client.send(["PING"]) }
        #expect(ContinuousClock.now - started < .seconds(10))
        await client.shutdown()
        await #expect(throws: RedisClientError.shutDown) { try await client.send(["PING"]) }
    }

    @Test func comesBackWhenTheServerDoes() async throws {
        let server = try RedisTestServer()
        defer { server.stop() }
        let client = try testClient(url: server.url) {
            $0.connectionCount = 1
            $0.firstReconnectDelay = .milliseconds(20)
            $0.maxReconnectDelay = .milliseconds(100)
        }
        #expect(try await client.send(["PING"]) == .simpleString("PONG"))
        server.stop()
        await #expect(throws: RedisClientError.self) { try await client.send(["PING"]) }
        try server.start()
        var answered = false
        for _ in 0..<100 where !answered {
            answered = (try? await client.send(["PING"])) == .simpleString("PONG")
            if !answered { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(answered)
        await client.shutdown()
    }

    @Test func scriptsRunByHashAndReloadAfterAFlush() async throws {
        let server = try RedisTestServer()
        defer { server.stop() }
        let client = try testClient(url: server.url)
        let script = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")
        #expect(try await client.send(["SCRIPT", "LOAD", script.source]).string == script.sha1)
        #expect(try await client.run(script, keys: ["n"], arguments: ["2"]) == .integer(2))
        _ = try await client.send(["SCRIPT", "FLUSH"])
        #expect(try await client.run(script, keys: ["n"], arguments: ["3"]) == .integer(5))
        #expect(try await client.send(["SCRIPT", "EXISTS", script.sha1]) == .array([.integer(1)]))
        await client.shutdown()
    }
}
