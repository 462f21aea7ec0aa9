import NIOCore
import Testing

@testable import RelayCore
@testable import RelayHTTP
@testable import RelayWire

/// A backend's answers as Relay reads them: the head, the body however it is framed and however
/// the bytes are split across reads, and the answers refused.
struct UpstreamResponseParserTests {
    /// What the parser made of an answer: its head, its body joined, and whether it ended.
    struct Answer: Equatable {
        var status = 0
        var fields: [String] = []
        var keepAlive = false
        var body = ""
        var ended = false
    }

    /// Reads `reads` one after another, the request being a `HEAD` if `toHEAD`.
    private func parse(_ reads: [String], toHEAD: Bool = false) throws(HTTP1ParseError) -> (Answer, Bool) {
        var parser = UpstreamResponseParser()
        parser.expectAnswer(toHEAD: toHEAD)
        var answer = Answer()
        for read in reads {
            parser.read(ByteBuffer(string: read))
            while let part = try parser.next() {
                switch part {
                case .head(let head):
                    #expect(answer.status == 0, "one head")
                    answer.status = head.status
                    answer.fields = head.fields.strings.map { "\($0.name): \($0.value)" }
                    answer.keepAlive = head.keepAlive
                case .body(let bytes):
                    #expect(bytes.readableBytes > 0 && !answer.ended)
                    answer.body += String(buffer: bytes)
                case .end:
                    answer.ended = true
                }
            }
        }
        return (answer, parser.endsAtClose)
    }

    private static let completion =
        "HTTP/1.1 200 OK\r\ndate: Fri, 27 Nov 2026 08:00:00 GMT\r\nServer: uvicorn\r\n"
        + "Content-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"id\":\"c1\"}"

    @Test func anAnswerWithALength() throws {
        let expected = Answer(
            status: 200,
            fields: [
                "date: Fri, 27 Nov 2026 08:00:00 GMT", "Server: uvicorn", "Content-Type: application/json",
                "Content-Length: 11",
            ],
            keepAlive: true,
            body: #"{"id":"c1"}"#,
            ended: true
        )
        for reads in ReadSplits.of(Self.completion) {
            let (answer, _) = try parse(reads)
            #expect(answer == expected, "split as \(reads.map(\.utf8.count))")
        }
    }

    @Test func aChunkedStreamWithExtensionsAndTrailers() throws {
        let stream =
            "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "f\r\ndata: {\"a\":1}\n\n\r\n" + "10 ; name=\"v\"\r\ndata: [DONE]\n\n\r\n\r\n"
            + "0\r\nx-trailer: 1\r\n\r\n"
        for reads in ReadSplits.of(stream) {
            let (answer, _) = try parse(reads)
            #expect(answer.body == "data: {\"a\":1}\n\ndata: [DONE]\n\n\r\n", "split as \(reads.map(\.utf8.count))")
            #expect(answer.ended && answer.keepAlive)
        }
    }

    @Test func interimAnswersAreSkipped() throws {
        let (answer, _) = try parse(["HTTP/1.1 100 Continue\r\n\r\n" + Self.completion])
        #expect(answer.status == 200 && answer.body == #"{"id":"c1"}"# && answer.ended)
    }

    @Test func answersWithoutABody() throws {
        let noContent = try parse(["HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n"]).0
        #expect(noContent.status == 204 && noContent.body.isEmpty && noContent.ended)
        let toHEAD = try parse(["HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n"], toHEAD: true).0
        #expect(toHEAD.body.isEmpty && toHEAD.ended && toHEAD.keepAlive)
        let empty = try parse(["HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"]).0
        #expect(empty.ended && empty.keepAlive)
    }

    @Test func aBodyWithoutALengthEndsWithTheConnection() throws {
        let (answer, endsAtClose) = try parse(["HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello", " world"])
        #expect(answer.body == "hello world" && !answer.ended && !answer.keepAlive)
        #expect(endsAtClose)
    }

    @Test func whetherTheConnectionIsKept() throws {
        let cases: [(String, Bool)] = [
            ("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true),
            ("HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n", false),
            ("HTTP/1.1 200 OK\r\nConnection: upgrade, close\r\nContent-Length: 0\r\n\r\n", false),
            ("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false),
            ("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", true),
            // Both framing fields: the chunked coding frames the body, and the connection is not reused.
            ("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", false),
        ]
        for (text, kept) in cases {
            let (answer, _) = try parse([text])
            #expect(answer.ended && answer.keepAlive == kept, "\(text)")
        }
    }

    @Test func repeatedEqualLengthsAreOneLength() throws {
        let (answer, _) = try parse(["HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\nok"])
        #expect(answer.body == "ok" && answer.ended)
    }

    @Test(arguments: [
        ("HTTP/2 200 OK\r\n\r\n", HTTP1ParseError.invalidStartLine),
        ("HTTP/1.2 200 OK\r\n\r\n", .invalidStartLine),
        ("http/1.1 200 OK\r\n\r\n", .invalidStartLine),
        ("HTTP/1.1 20 OK\r\n\r\n", .invalidStartLine),
        ("HTTP/1.1 101 Switching Protocols\r\n\r\n", .invalidStartLine),
        ("HTTP/1.1 200OK\r\n\r\n", .invalidStartLine),
        ("HTTP/1.1 200 OK\r\nx-folded: a\r\n b\r\n\r\n", .invalidField),
        ("HTTP/1.1 200 OK\r\nx-space : a\r\n\r\n", .invalidField),
        ("HTTP/1.1 200 OK\r\n: a\r\n\r\n", .invalidField),
        ("HTTP/1.1 200 OK\r\nx-bare: a\nx-injected: b\r\n\r\n", .bareLineFeed),
        ("HTTP/1.1 200 OK\r\nx-nul: a\u{0}b\r\n\r\n", .invalidField),
        ("HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n", .invalidLength),
        ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", .invalidLength),
        ("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", .invalidLength),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", .invalidChunk),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", .invalidChunk),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n", .invalidChunk),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\nab\r\n", .invalidChunk),
        // Bytes past the end of an answer, with no request waiting for them.
        ("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n\r\n", .unexpectedBytes),
    ])
    func malformedAnswersAreRefused(_ text: String, _ error: HTTP1ParseError) {
        #expect(throws: error) { try parse([text]) }
    }

    @Test func aHeadLargerThanTheLimitIsRefusedBeforeItEnds() {
        let large = "HTTP/1.1 200 OK\r\nx-large: " + String(repeating: "a", count: HTTP1Syntax.maxHeadBytes)
        #expect(throws: HTTP1ParseError.headTooLarge) { try parse([large]) }
    }

    @Test func aTrailerLineLongerThanTheLimitIsRefused() {
        let trailer = "x-t: " + String(repeating: "a", count: HTTP1Syntax.maxLineBytes)
        let stream = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\(trailer)\r\n\r\n"
        #expect(throws: HTTP1ParseError.invalidChunk) { try parse([stream]) }
    }

    @Test func aKeptConnectionReadsTheNextAnswer() throws {
        var parser = UpstreamResponseParser()
        for body in ["one", "two"] {
            parser.expectAnswer(toHEAD: false)
            parser.read(ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n\(body)"))
            guard case .head = try parser.next(), case .body(let bytes) = try parser.next(),
                case .end = try parser.next()
            else {
                Issue.record("not head, body, end")
                return
            }
            #expect(String(buffer: bytes) == body)
            #expect(try parser.next() == nil)
        }
    }
}
