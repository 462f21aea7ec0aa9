import NIOCore
import NIOHTTP1
import Testing

@testable import RelayCore
@testable import RelayHTTP
@testable import RelayWire

/// A client's requests as Relay reads them off the socket: heads, bodies however they are
/// framed and however the bytes are cut, pipelined requests, and what is refused so that no
/// proxy in front can read the same bytes as a different request.
struct HTTP1RequestParserTests {
    /// Each request read: its line, its authority (its `Host`), its other fields, whether it
    /// keeps the connection, and its body.
    struct Request: Equatable {
        var line: String
        var authority: String? = nil
        var fields: [String] = []
        var keepAlive: Bool
        var body = ""
    }

    private func parse(_ reads: [String]) throws(HTTP1ParseError) -> [Request] {
        var parser = HTTP1RequestParser()
        var requests: [Request] = []
        var open = false
        for read in reads {
            parser.read(ByteBuffer(string: read))
            while let part = try parser.next() {
                switch part {
                case .head(let head):
                    #expect(!open, "a head before the last request's end")
                    open = true
                    requests.append(
                        Request(
                            line: "\(head.method) \(head.path) HTTP/1.\(head.minorVersion)",
                            authority: head.authority,
                            fields: head.headerFields.map { "\($0.name): \($0.value)" },
                            keepAlive: head.keepAlive
                        ))
                case .body(let bytes):
                    #expect(open && bytes.readableBytes > 0)
                    requests[requests.count - 1].body += String(buffer: bytes)
                case .end:
                    #expect(open)
                    open = false
                }
            }
        }
        #expect(!open, "the last request did not end")
        return requests
    }

    private static let chat =
        "POST /v1/chat/completions HTTP/1.1\r\nHost: relay\r\nAuthorization: Bearer rk-x\r\n"
        + "Content-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"model\":\"m\"}"

    @Test func aRequestIsRoutedByItsPathUpToTheQuery() throws {
        let routes = [
            "/v1/models": "/v1/models", "/v1/models?limit=2": "/v1/models",
            "/v1/models/org%2Fmodel?x#y": "/v1/models/org%2Fmodel", "http://relay/healthz?probe=1": "/healthz",
        ]
        for (target, route) in routes {
            var parser = HTTP1RequestParser()
            parser.read(ByteBuffer(string: "GET \(target) HTTP/1.1\r\nHost: relay\r\n\r\n"))
            guard case .head(let head) = try parser.next() else {
                Issue.record("no head for \(target)")
                continue
            }
            #expect(head.routePath == route, "\(target)")
        }
    }

    @Test func aRequestWithABodyAndTheNextOneOnTheSameConnection() throws {
        let expected = [
            Request(
                line: "POST /v1/chat/completions HTTP/1.1",
                authority: "relay",
                fields: ["Authorization: Bearer rk-x", "Content-Type: application/json", "Content-Length: 13"],
                keepAlive: true,
                body: #"{"model":"m"}"#
            ),
            Request(line: "GET /v1/models HTTP/1.1", authority: "relay", keepAlive: true),
        ]
        for reads in ReadSplits.of(Self.chat + "GET /v1/models HTTP/1.1\r\nHost: relay\r\n\r\n") {
            #expect(try parse(reads) == expected, "split as \(reads.map(\.utf8.count))")
        }
    }

    @Test func aChunkedBodyWithExtensionsAndTrailers() throws {
        let request =
            "POST /v1/embeddings HTTP/1.1\r\nHost: relay\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;ext=1\r\n{\"a\":\r\n2\r\n1}\r\n0\r\nx-checksum: 1\r\n\r\n"
        for reads in ReadSplits.of(request) {
            let requests = try parse(reads)
            #expect(requests.map(\.body) == [#"{"a":1}"#], "split as \(reads.map(\.utf8.count))")
        }
    }

    @Test func emptyLinesBeforeARequestAreReadPast() throws {
        let requests = try parse(["\r\n\r\nGET /healthz HTTP/1.1\r\nHost: relay\r\n\r\n"])
        #expect(requests.map(\.line) == ["GET /healthz HTTP/1.1"])
    }

    @Test func whetherTheConnectionIsKept() throws {
        let cases: [(String, Bool)] = [
            ("GET / HTTP/1.1\r\nHost: relay\r\n\r\n", true),
            ("GET / HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n", false),
            ("GET / HTTP/1.0\r\n\r\n", false),
            ("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true),
        ]
        for (text, kept) in cases {
            #expect(try parse([text]).map(\.keepAlive) == [kept], "\(text)")
        }
    }

    @Test func anAbsoluteFormTargetBecomesItsPath() throws {
        let targets = [
            "http://relay:8080/v1/models?a=b#frag": "/v1/models?a=b", "http://relay:8080": "/",
            "http://relay?x": "/?x", "/healthz": "/healthz", "*": "*",
        ]
        for (target, path) in targets {
            let requests = try parse(["GET \(target) HTTP/1.1\r\nHost: relay\r\n\r\n"])
            #expect(requests.map(\.line) == ["GET \(path) HTTP/1.1"])
        }
    }

    @Test func theHostIsTheAuthorityAndTheNamesKeepTheirSpelling() throws {
        let request =
            "POST /v1/chat/completions?x=1 HTTP/1.1\r\nHOST: relay.example\r\nAUTHORIZATION: Bearer rk-x\r\n"
            + "content-type: application/json\r\nX-Custom-Thing:  a b \r\n\r\n"
        let expected = Request(
            line: "POST /v1/chat/completions?x=1 HTTP/1.1",
            authority: "relay.example",
            fields: [
                "Authorization: Bearer rk-x", "Content-Type: application/json", "X-Custom-Thing: a b",
            ],
            keepAlive: true
        )
        #expect(try parse([request]) == [expected])
    }

    @Test(arguments: [
        ("GET / HTTP/2.0\r\n\r\n", HTTP1ParseError.invalidStartLine),
        ("GET / HTTP/1.2\r\n\r\n", .invalidStartLine),
        ("GET / HTTP/1,1\r\n\r\n", .invalidStartLine),
        ("GET / Http/1.1\r\n\r\n", .invalidStartLine),
        ("GET /  HTTP/1.1\r\n\r\n", .invalidStartLine),
        ("GET /a b HTTP/1.1\r\n\r\n", .invalidStartLine),
        ("G(T / HTTP/1.1\r\n\r\n", .invalidStartLine),
        ("GET / HTTP/1.1\nHost: relay\r\n\r\n", .bareLineFeed),
        ("GET / HTTP/1.1\r\nHost : relay\r\n\r\n", .invalidField),
        ("GET / HTTP/1.1\r\nx-folded: a\r\n b\r\n\r\n", .invalidField),
        ("GET / HTTP/1.1\r\nx-bare: a\nx-smuggled: b\r\n\r\n", .bareLineFeed),
        ("GET / HTTP/1.1\r\nx-nul: a\u{0}b\r\n\r\n", .invalidField),
        // Framing a proxy in front could read differently.
        (
            "POST / HTTP/1.1\r\nHost: relay\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            .invalidFraming
        ),
        ("POST / HTTP/1.1\r\nHost: relay\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", .invalidFraming),
        ("POST / HTTP/1.1\r\nHost: relay\r\nTransfer-Encoding: identity\r\n\r\n", .invalidFraming),
        ("POST / HTTP/1.0\r\nHost: relay\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", .invalidFraming),
        ("POST / HTTP/1.1\r\nHost: relay\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\nabcd", .invalidLength),
        ("POST / HTTP/1.1\r\nHost: relay\r\nContent-Length: 4, 4\r\n\r\nabcd", .invalidLength),
        ("POST / HTTP/1.1\r\nHost: relay\r\nContent-Length: +4\r\n\r\nabcd", .invalidLength),
        ("POST / HTTP/1.1\r\nHost: relay\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcdX\r\n", .invalidChunk),
        ("POST / HTTP/1.1\r\nHost: relay\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", .invalidChunk),
        // No Host, or two (RFC 9112 §3.2).
        ("GET / HTTP/1.1\r\n\r\n", .invalidHost),
        ("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", .invalidHost),
        ("GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", .invalidHost),
    ])
    func requestsThatCouldBeReadTwoWaysAreRefused(_ text: String, _ error: HTTP1ParseError) {
        #expect(throws: error) { try parse([text]) }
    }

    @Test func anHTTP10RequestNeedsNoHost() throws {
        #expect(try parse(["GET /healthz HTTP/1.0\r\n\r\n"]).map(\.authority) == [nil])
    }

    @Test func aBareLineFeedIsRefusedAsSoonAsItArrives() {
        // No CRLF CRLF ever comes: without the check the head would wait for its deadline.
        #expect(throws: HTTP1ParseError.bareLineFeed) { try parse(["GET / HTTP/1.1\nHost: relay\n\n"]) }
        #expect(throws: HTTP1ParseError.bareLineFeed) { try parse(["GET / HTTP/1.1\r\nHost: relay\r\n", "\n"]) }
    }

    @Test func aHeadLargerThanTheLimitIsRefusedBeforeItEnds() {
        let large = "GET / HTTP/1.1\r\nx-large: " + String(repeating: "a", count: HTTP1Syntax.maxHeadBytes)
        #expect(throws: HTTP1ParseError.headTooLarge) { try parse([large]) }
    }
}
