import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import RelayCore

/// The bytes a backend receives for Relay's request.
struct UpstreamRequestEncoderTests {
    let channel: EmbeddedChannel

    init() throws {
        channel = EmbeddedChannel(handler: UpstreamRequestEncoder())
    }

    private func head(_ fields: [(String, String)]) -> HTTPRequestHead {
        HTTPRequestHead(version: .http1_1, method: .POST, uri: "/v1/chat/completions", headers: HTTPHeaders(fields))
    }

    private func written() throws -> String {
        var text = ""
        while let data = try channel.readOutbound(as: IOData.self) {
            guard case .byteBuffer(let buffer) = data else { continue }
            text += String(buffer: buffer)
        }
        return text
    }

    @Test func headAndBodyGoOutTogetherAsOneWrite() throws {
        let body = #"{"model":"m"}"#
        try channel.writeOutbound(
            HTTPClientRequestPart.head(
                head([("host", "127.0.0.1:8000"), ("content-type", "application/json"), ("Content-Length", "13")])))
        try channel.writeOutbound(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(string: body))))
        #expect(try channel.readOutbound(as: IOData.self) == nil)  // nothing before the end
        try channel.writeOutbound(HTTPClientRequestPart.end(nil))
        let first = try #require(try channel.readOutbound(as: IOData.self))
        #expect(try channel.readOutbound(as: IOData.self) == nil)
        guard case .byteBuffer(let buffer) = first else {
            Issue.record("not bytes")
            return
        }
        #expect(
            String(buffer: buffer)
                == "POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1:8000\r\ncontent-type: application/json\r\n"
                + "Content-Length: 13\r\n\r\n\(body)")
    }

    @Test func aRequestWithoutABodyIsItsHead() throws {
        var get = head([("host", "backend")])
        get.method = .GET
        get.uri = "/health"
        try channel.writeOutbound(HTTPClientRequestPart.head(get))
        try channel.writeOutbound(HTTPClientRequestPart.end(nil))
        #expect(try written() == "GET /health HTTP/1.1\r\nhost: backend\r\n\r\n")
    }

    @Test(arguments: [
        [("authorization", "Bearer sk-x\r\nx-injected: 1")],
        [("bad name", "v")],
        [("x-nul", "a\u{0}b")],
    ])
    func aFieldThatWouldSplitTheRequestIsRefused(_ fields: [(String, String)]) throws {
        #expect(throws: UpstreamRequestEncoderError.self) {
            try channel.writeOutbound(HTTPClientRequestPart.head(head(fields)))
        }
        // Neither its body nor its end goes out without the head.
        #expect(throws: UpstreamRequestEncoderError.self) {
            try channel.writeOutbound(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(string: "{}"))))
        }
        #expect(throws: UpstreamRequestEncoderError.self) {
            try channel.writeOutbound(HTTPClientRequestPart.end(nil))
        }
        #expect(try written() == "")
    }
}
