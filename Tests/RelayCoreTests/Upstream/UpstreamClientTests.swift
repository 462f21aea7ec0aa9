import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

@testable import RelayCore
@testable import RelayHTTP

/// Relay's HTTP/1.1 client to its backends: kept-alive connections reused, closed ones not, and a
/// request lost to a connection closed as it was reused sent again, but only if no byte of an
/// answer arrived.
@Suite struct UpstreamClientTests {
    private static func pool(_ upstream: ScriptedUpstream, basePath: String = "") -> UpstreamConnectionPool {
        UpstreamConnectionPool(
            baseURL: "http://127.0.0.1:\(upstream.port)\(basePath)",
            trustRoots: nil,
            connectTimeout: .seconds(1),
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton
        )
    }

    private static func call(
        _ pool: UpstreamConnectionPool,
        body: String = #"{"n":1}"#,
        extraHeaders: [(name: String, value: String)] = [],
        timeout: TimeAmount = .seconds(5)
    ) async throws -> (Int, String) {
        let exchange = Self.exchange(pool, body: body, extraHeaders: extraHeaders, timeout: timeout)
        defer { exchange.cancel() }
        guard case .head(let status, _) = try await exchange.next() else { throw UpstreamFailure.broken("no head") }
        return (status, String(decoding: try await exchange.collectBody(limit: 1 << 20), as: UTF8.self))
    }

    private static func exchange(
        _ pool: UpstreamConnectionPool,
        body: String = #"{"n":1}"#,
        extraHeaders: [(name: String, value: String)] = [],
        timeout: TimeAmount
    ) -> UpstreamExchange {
        let headers = [(name: "host", value: pool.hostHeader), ("content-length", "\(body.utf8.count)")] + extraHeaders
        let request = UpstreamRequest(
            path: pool.basePath + "/v1/chat/completions", headers: headers, body: Array(body.utf8))
        return UpstreamExchange(pool: pool, request: request, timeout: timeout, phase: "in a test")
    }

    @Test func reusesAKeptAliveConnectionAndSendsHostAndLength() async throws {
        let upstream = try await ScriptedUpstream { _, request in
            .answer(body: #"{"answer":\#(request)}"#, keepAlive: true)
        }
        let pool = Self.pool(upstream, basePath: "/mounted/")
        for expected in 0..<3 {
            let (status, body) = try await Self.call(pool)
            #expect(status == 200)
            #expect(body == #"{"answer":\#(expected)}"#)
        }
        #expect(upstream.connections == 1)
        let first = try #require(upstream.requests.first)
        #expect(first.head.uri == "/mounted/v1/chat/completions")
        #expect(first.head.method == .POST)
        #expect(first.head.headers["host"] == ["127.0.0.1:\(upstream.port)"])
        #expect(first.head.headers["content-length"] == ["7"])
        #expect(first.head.headers["transfer-encoding"].isEmpty)
        #expect(first.body == #"{"n":1}"#)
        await pool.shutdown()
        try await upstream.stop()
    }

    @Test func opensANewConnectionAfterAnAnswerWithConnectionClose() async throws {
        let upstream = try await ScriptedUpstream { _, _ in .answer(body: "{}", keepAlive: false) }
        let pool = Self.pool(upstream)
        for _ in 0..<2 { _ = try await Self.call(pool) }
        #expect(upstream.connections == 2)
        // A client that reused the first connection would have sent one request into it unanswered.
        #expect(upstream.requests.count == 2)
        await pool.shutdown()
        try await upstream.stop()
    }

    @Test func sendsARequestAgainWhenAReusedConnectionClosesWithoutAnswering() async throws {
        // The first connection answers once, then drops the request it gets next, as a server
        // closing an idle connection at the moment it is reused would.
        let upstream = try await ScriptedUpstream { connection, request in
            connection == 0 && request == 1 ? .close : .answer(body: #"{"on":\#(connection)}"#, keepAlive: true)
        }
        let pool = Self.pool(upstream)
        _ = try await Self.call(pool)
        let (status, body) = try await Self.call(pool, body: #"{"n":2}"#)
        #expect(status == 200)
        #expect(body == #"{"on":1}"#)
        #expect(upstream.requests.map(\.body) == [#"{"n":1}"#, #"{"n":2}"#, #"{"n":2}"#])
        await pool.shutdown()
        try await upstream.stop()
    }

    /// Bytes a reused connection answers its second request with: not HTTP at all (the
    /// client closes at once), and the start of a head cut off by the backend's close.
    @Test(arguments: [
        ("garbage\r\n\r\n", false, UpstreamFailure.broken("the answer has a start line that is not HTTP/1.1")),
        ("HTTP/1.1 2", true, UpstreamFailure.broken("the connection closed before an answer")),
    ])
    func doesNotSendAgainOnceBytesOfAnAnswerArrived(
        bytes: String, thenClose: Bool, failure: UpstreamFailure
    ) async throws {
        // Any other connection answers well: a request sent again would succeed there.
        let upstream = try await ScriptedUpstream { connection, request in
            connection == 0 && request == 1
                ? .raw(bytes, thenClose: thenClose) : .answer(body: "{}", keepAlive: true)
        }
        let pool = Self.pool(upstream)
        _ = try await Self.call(pool)
        await #expect(throws: failure) {
            _ = try await Self.call(pool, body: #"{"n":2}"#)
        }
        #expect(upstream.requests.map(\.body) == [#"{"n":1}"#, #"{"n":2}"#])
        await pool.shutdown()
        try await upstream.stop()
    }

    @Test func doesNotSendAgainWhenANewConnectionClosesWithoutAnswering() async throws {
        let upstream = try await ScriptedUpstream { _, _ in .close }
        let pool = Self.pool(upstream)
        await #expect(throws: UpstreamFailure.broken("the connection closed before an answer")) {
            _ = try await Self.call(pool)
        }
        #expect(upstream.requests.count == 1)
        await pool.shutdown()
        try await upstream.stop()
    }

    @Test func aChunkedAnswerKeepsItsConnection() async throws {
        let upstream = try await ScriptedUpstream { _, _ in
            .raw(
                "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\n{\"a\r\n4;x=1\r\n\":1}\r\n0\r\n\r\n",
                thenClose: false)
        }
        let pool = Self.pool(upstream)
        for _ in 0..<2 {
            let (status, body) = try await Self.call(pool)
            #expect(status == 200 && body == #"{"a":1}"#)
        }
        #expect(upstream.connections == 1)
        await pool.shutdown()
        try await upstream.stop()
    }

    @Test func aBodyWithoutALengthEndsWithTheConnection() async throws {
        let upstream = try await ScriptedUpstream { _, _ in
            .raw("HTTP/1.0 200 OK\r\ncontent-type: application/json\r\n\r\n{\"a\":1}", thenClose: true)
        }
        let pool = Self.pool(upstream)
        for _ in 0..<2 {
            let (status, body) = try await Self.call(pool)
            #expect(status == 200 && body == #"{"a":1}"#)
        }
        #expect(upstream.connections == 2)
        await pool.shutdown()
        try await upstream.stop()
    }

    @Test func aMalformedAnswerFailsTheCallAndItsConnectionIsNotReused() async throws {
        let upstream = try await ScriptedUpstream { connection, _ in
            connection == 0
                ? .raw("HTTP/1.1 200 OK\r\nx-bad : 1\r\ncontent-length: 2\r\n\r\nok", thenClose: false)
                : .answer(body: "{}", keepAlive: true)
        }
        let pool = Self.pool(upstream)
        await #expect(throws: UpstreamFailure.broken("the answer has a malformed header field")) {
            _ = try await Self.call(pool)
        }
        let (status, body) = try await Self.call(pool)
        #expect(status == 200 && body == "{}")
        #expect(upstream.connections == 2)
        await pool.shutdown()
        try await upstream.stop()
    }

    @Test func aRequestWithAHeaderThatWouldSplitItIsNeverSent() async throws {
        let upstream = try await ScriptedUpstream { _, _ in .answer(body: "{}", keepAlive: true) }
        let pool = Self.pool(upstream)
        await #expect(throws: UpstreamFailure.broken("a header of the request cannot be sent as it is")) {
            _ = try await Self.call(pool, extraHeaders: [("x-note", "a\r\nx-injected: 1")])
        }
        #expect(upstream.connections == 0 && upstream.requests.isEmpty)
        await pool.shutdown()
        try await upstream.stop()
    }

    @Test func aRefusedConnectionIsAConnectFailure() async throws {
        let upstream = try await ScriptedUpstream { _, _ in .close }
        let pool = Self.pool(upstream)
        try await upstream.stop()
        await #expect(throws: UpstreamFailure.connect("connection refused")) {
            _ = try await Self.call(pool)
        }
        await pool.shutdown()
    }

    @Test(.timeLimit(.minutes(1)))
    func aCallOnAReusedConnectionEndsAtItsOwnDeadline() async throws {
        // The connection's timer, set for the first call's deadline, fires before the second's
        // and must be set again for it.
        let upstream = try await ScriptedUpstream { _, request in
            request == 0 ? .answer(body: "{}", keepAlive: true) : .raw("", thenClose: false)
        }
        let pool = Self.pool(upstream)
        _ = try await Self.call(pool, timeout: .seconds(1))
        try await Task.sleep(for: .milliseconds(500))
        let started = ContinuousClock.now
        await #expect(throws: UpstreamFailure.timeout("in a test")) {
            _ = try await Self.call(pool, timeout: .seconds(1))
        }
        let waited = ContinuousClock.now - started
        #expect(waited >= .milliseconds(900) && waited < .seconds(10))
        #expect(upstream.connections == 1 && upstream.requests.count == 2)
        await pool.shutdown()
        try await upstream.stop()
    }

    @Test(.timeLimit(.minutes(1)))
    func aShorterDeadlineAfterTheHeadIsWaitedForAtOnce() async throws {
        // The head, then one byte of a hundred, then nothing.
        let upstream = try await ScriptedUpstream { _, _ in
            .raw("HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{", thenClose: false)
        }
        let pool = Self.pool(upstream)
        let exchange = Self.exchange(pool, timeout: .seconds(30))
        defer { exchange.cancel() }
        guard case .head(200, _) = try await exchange.next() else { throw UpstreamFailure.broken("no head") }
        let started = ContinuousClock.now
        exchange.extendDeadlineOnProgress(idle: .milliseconds(300), phase: "between chunks")
        await #expect(throws: UpstreamFailure.timeout("between chunks")) {
            _ = try await exchange.collectBody(limit: 1 << 20)
        }
        #expect(ContinuousClock.now - started < .seconds(10))
        await pool.shutdown()
        try await upstream.stop()
    }

    @Test func originsOfBaseURLs() throws {
        let plain = try #require(UpstreamOrigin(baseURL: "http://gpu-1:8000"))
        #expect(plain.host == "gpu-1" && plain.port == 8000 && !plain.usesTLS)
        #expect(plain.hostHeader == "gpu-1:8000" && plain.basePath == "")
        let cloud = try #require(UpstreamOrigin(baseURL: "https://api.openai.com"))
        #expect(cloud.port == 443 && cloud.usesTLS && cloud.hostHeader == "api.openai.com")
        #expect(cloud.serverName == "api.openai.com")
        let mounted = try #require(UpstreamOrigin(baseURL: "http://10.0.0.5/llm/"))
        #expect(mounted.port == 80 && mounted.hostHeader == "10.0.0.5" && mounted.basePath == "/llm")
        #expect(mounted.serverName == nil)
        let v6 = try #require(UpstreamOrigin(baseURL: "http://[::1]:11434"))
        #expect(v6.host == "::1" && v6.hostHeader == "[::1]:11434")
        #expect(UpstreamOrigin(baseURL: "ftp://example.com") == nil)
    }
}
