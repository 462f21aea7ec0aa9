import HTTPTypes
import NIOCore
import NIOPosix
import Testing

@testable import RelayCore
@testable import RelayHTTP
@testable import RelayWire

/// Which headers cross Relay: the client's that reach a backend, and the backend's answer fields
/// that reach the client (read from the head as the backend sent it). An allow-list each way.
struct UpstreamHeadersTests {
    private func head(_ fields: String) throws -> HeadFields {
        var parser = UpstreamResponseParser()
        parser.expectAnswer(toHEAD: false)
        parser.read(ByteBuffer(string: "HTTP/1.1 200 OK\r\n" + fields + "\r\n"))
        guard case .head(let head)? = try parser.next() else { throw HTTP1ParseError.invalidStartLine }
        return head.fields
    }

    private func clientFields(_ pairs: [(String, String)]) -> HTTPFields {
        var fields = HTTPFields()
        for (name, value) in pairs { fields.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
        return fields
    }

    /// The headers a backend with `forwardHeaders` is sent for `client`, as `name: value`.
    private func sent(
        _ client: [(String, String)], forwardHeaders: [String] = [], trace: TraceContext? = nil
    ) async -> [String] {
        var config = BackendConfig(name: "b", type: .vllm, baseURL: "http://127.0.0.1:9")
        config.apiKey = "backend-key"
        config.forwardHeaders = forwardHeaders
        let backend = Backend(config: config, eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        let request = UpstreamHeaders.request(
            path: "/v1/chat/completions", clientHeaders: clientFields(client), backend: backend,
            requestID: "0f8fad5b-d9cb-469f-a165-70867728950e", trace: trace, body: Array("{}".utf8))
        await backend.shutdown()
        return request.headers.map { "\($0.name.lowercased()): \($0.value)" }
    }

    @Test func aBackendIsSentOnlyTheListedClientHeadersAndRelaysOwn() async {
        let headers = await sent([
            ("Accept", "text/event-stream"), ("User-Agent", "OpenAI/Python 1.99"), ("OpenAI-Beta", "assistants=v2"),
            ("anthropic-version", "2023-06-01"), ("anthropic-beta", "tools-2024"), ("X-Stainless-Lang", "python"),
            ("Authorization", "Bearer rk-client"), ("Cookie", "session=1"), ("Content-Encoding", "gzip"),
            ("X-Forwarded-For", "10.0.0.1"), ("Forwarded", "for=10.0.0.1"), ("X-Real-IP", "10.0.0.1"),
            ("content_length", "5"), ("transfer_encoding", "chunked"), ("Content-Type", "text/plain"),
            ("Content-Length", "2"), ("Accept-Encoding", "gzip"), ("Expect", "100-continue"),
            ("OpenAI-Organization", "org-1"), ("X-Api-Key", "k"), ("X-Custom", "1"), ("X-Request-Id", "client-id"),
        ])
        #expect(
            headers == [
                "host: 127.0.0.1:9", "accept: text/event-stream", "user-agent: OpenAI/Python 1.99",
                "openai-beta: assistants=v2", "anthropic-version: 2023-06-01", "anthropic-beta: tools-2024",
                "x-stainless-lang: python", "content-type: application/json",
                "x-request-id: 0f8fad5b-d9cb-469f-a165-70867728950e", "authorization: Bearer backend-key",
                "content-length: 2",
            ])
    }

    @Test func namesTheClientsConnectionListsStayBehind() async {
        let headers = await sent([
            ("Connection", "keep-alive, User-Agent"), ("connection", "X-Stainless-Os"), ("User-Agent", "sdk"),
            ("X-Stainless-Os", "Linux"), ("Accept", "*/*"),
        ])
        #expect(!headers.contains { $0.hasPrefix("user-agent") || $0.hasPrefix("x-stainless-os") })
        #expect(headers.contains("accept: */*") && !headers.contains { $0.hasPrefix("connection") })
    }

    @Test func forwardHeadersAddsNamesAndPrefixesButNeverAForbiddenOne() async {
        let client = [
            ("X-Tenant", "t1"), ("X-Route-Pool", "a"), ("X-Route_Pool", "b"), ("X-Other", "1"), ("Cookie", "c=1"),
            ("X-Forwarded-For", "10.0.0.1"), ("Authorization", "Bearer rk-client"), ("Connection", "x-tenant"),
        ]
        let headers = await sent(client, forwardHeaders: ["x-route-*", "cookie", "x-forwarded-*", "x-tenant"])
        #expect(headers.contains("x-route-pool: a"))
        #expect(!headers.contains { $0.hasPrefix("x-route_pool") || $0.hasPrefix("x-other") })
        #expect(!headers.contains { $0.hasPrefix("cookie") || $0.hasPrefix("x-forwarded-for") })
        #expect(!headers.contains { $0.hasPrefix("x-tenant") }, "listed in Connection")
        #expect(headers.filter { $0.hasPrefix("authorization") } == ["authorization: Bearer backend-key"])
    }

    @Test func tracestateGoesOnlyWithTheClientsOwnTraceparent() async {
        let traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        let continued = await sent([("tracestate", "a=1")], trace: TraceContext(incoming: traceparent))
        #expect(continued.contains("tracestate: a=1"))
        let fresh = await sent([("tracestate", "a=1")], trace: TraceContext(incoming: nil))
        #expect(!fresh.contains { $0.hasPrefix("tracestate") })
    }

    @Test func onlyTheListedAnswerFieldsReachTheClient() throws {
        let fields = try head(
            "Date: Fri, 27 Nov 2026 08:00:00 GMT\r\nServer: uvicorn\r\nContent-Type: application/json\r\n"
                + "Content-Length: 11\r\nConnection: keep-alive\r\nSet-Cookie: __cf_bm=1; path=/\r\n"
                + "X-RateLimit-Remaining-Requests: 9999\r\nx-ratelimit-reset-tokens: 6ms\r\n"
                + "OpenAI-Processing-Ms: 312\r\nX-Request-Id: req_abc\r\nX-Relay-Backend: other\r\n"
                + "WWW-Authenticate: Bearer realm=\"backend\"\r\nProxy-Authenticate: Basic\r\n"
                + "Location: http://10.0.0.5:8000/v1/x\r\nContent-Encoding: gzip\r\nX-Model-Revision: 7b-q4\r\n"
                + "Cache-Control: no-store\r\n")
        let passed = UpstreamHeaders.response(fields, contentLength: 42)
        #expect(
            passed.map { "\($0.name.rawName): \($0.value)" } == [
                "Content-Length: 42", "Content-Type: application/json", "openai-processing-ms: 312",
                "Cache-Control: no-store",
            ])
    }

    @Test func namesTheBackendsConnectionListsStayBehind() throws {
        let fields = try head(
            "Connection: keep-alive, Cache-Control\r\nCache-Control: no-store\r\nContent-Type: a/b\r\n")
        let passed = UpstreamHeaders.response(fields, contentLength: 3)
        #expect(passed.map { "\($0.name.rawName): \($0.value)" } == ["Content-Length: 3", "Content-Type: a/b"])
    }

    @Test func aValueKeepsItsBytesAndLosesTheSpacesAroundIt() throws {
        let fields = try head("Cache-Control:   caf\u{e9} au lait  \r\nContent-Type:text/event-stream\r\n")
        let passed = UpstreamHeaders.response(fields)
        #expect(passed[.cacheControl] == "caf\u{e9} au lait")
        #expect(passed[.contentType] == "text/event-stream")
        #expect(passed[.contentLength] == nil)
    }
}
