import HTTPTypes
import NIOCore
import Testing

@testable import RelayCore

/// Which of a backend's answer fields reach the client, read from the head as the backend sent it.
struct UpstreamHeadersTests {
    private func head(_ fields: String) throws -> HeadFields {
        var parser = UpstreamResponseParser()
        parser.expectAnswer(toHEAD: false)
        parser.read(ByteBuffer(string: "HTTP/1.1 200 OK\r\n" + fields + "\r\n"))
        guard case .head(let head)? = try parser.next() else { throw HTTP1ParseError.invalidStartLine }
        return head.fields
    }

    @Test func framingHopByHopAndTheBackendsOwnFieldsStayBehind() throws {
        let fields = try head(
            "Date: Fri, 27 Nov 2026 08:00:00 GMT\r\nServer: uvicorn\r\nContent-Type: application/json\r\n"
                + "Content-Length: 11\r\nConnection: keep-alive\r\nSet-Cookie: __cf_bm=1; path=/\r\n"
                + "X-RateLimit-Remaining-Requests: 9999\r\nx-ratelimit-reset-tokens: 6ms\r\n"
                + "OpenAI-Processing-Ms: 312\r\nX-Request-Id: req_abc\r\nX-Relay-Backend: other\r\n"
                + "X-Model-Revision: 7b-q4\r\nCache-Control: no-store\r\n")
        let passed = UpstreamHeaders.response(fields, contentLength: 42)
        #expect(
            passed.map { "\($0.name.rawName): \($0.value)" } == [
                "Content-Length: 42", "Content-Type: application/json", "openai-processing-ms: 312",
                "x-model-revision: 7b-q4", "Cache-Control: no-store",
            ])
    }

    @Test func aValueKeepsItsBytesAndLosesTheSpacesAroundIt() throws {
        let fields = try head("X-Note:   caf\u{e9} au lait  \r\nContent-Type:text/event-stream\r\n")
        let passed = UpstreamHeaders.response(fields)
        #expect(passed[HTTPField.Name("x-note")!] == "caf\u{e9} au lait")
        #expect(passed[.contentType] == "text/event-stream")
        #expect(passed[.contentLength] == nil)
    }
}
