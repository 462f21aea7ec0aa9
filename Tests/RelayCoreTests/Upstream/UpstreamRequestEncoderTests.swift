import NIOCore
import NIOHTTP1
import Testing

@testable import RelayCore
@testable import RelayHTTP
@testable import RelayWire

/// The bytes a backend receives for Relay's request.
struct UpstreamRequestEncoderTests {
    private func encoded(
        _ headers: [(name: String, value: String)],
        method: HTTPMethod = .POST,
        path: String = "/v1/chat/completions",
        body: String? = nil
    ) -> String? {
        let request = UpstreamRequest(method: method, path: path, headers: headers, body: body.map { Array($0.utf8) })
        return UpstreamRequestEncoder.encode(request, allocator: ByteBufferAllocator()).map { String(buffer: $0) }
    }

    @Test func headAndBodyAreOneBuffer() {
        let body = #"{"model":"m"}"#
        let fields = [("host", "127.0.0.1:8000"), ("content-type", "application/json"), ("Content-Length", "13")]
        #expect(
            encoded(fields, body: body)
                == "POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1:8000\r\ncontent-type: application/json\r\n"
                + "Content-Length: 13\r\n\r\n\(body)")
    }

    @Test func aRequestWithoutABodyIsItsHead() {
        #expect(
            encoded([("host", "backend")], method: .GET, path: "/health")
                == "GET /health HTTP/1.1\r\nhost: backend\r\n\r\n")
    }

    @Test(arguments: [
        [("authorization", "Bearer sk-x\r\nx-injected: 1")],
        [("bad name", "v")],
        [("", "v")],
        [("x-nul", "a\u{0}b")],
    ])
    func aFieldThatWouldSplitTheRequestIsRefused(_ fields: [(String, String)]) {
        #expect(encoded([("host", "backend")] + fields, body: "{}") == nil)
    }

    @Test(arguments: ["/v1/chat completions", "/v1\r\nx: 1", "/v1\u{0}"])
    func aPathThatWouldSplitTheRequestLineIsRefused(_ path: String) {
        #expect(encoded([("host", "backend")], path: path) == nil)
    }

    @Test func aValueOrPathIsRefusedWhereverItsBreakingByteStands() {
        let breaking: [UInt8] = [0x0D, 0x0A, 0x00]
        let harmless: [UInt8] = [0x09, 0x0B, 0x0C, 0x0E, 0x2D, 0x7F, 0x8D, 0xFF]
        for length in 1..<20 {
            let plain = (0..<length).map { harmless[$0 % harmless.count] }
            #expect(plain.withUnsafeBytes(HTTPFieldBytes.isSafeValue))
            #expect(!(plain + [0x20]).withUnsafeBytes(HTTPFieldBytes.isSafeTarget))
            for position in 0..<length {
                for byte in breaking + [0x20] {
                    var bytes = plain
                    bytes[position] = byte
                    #expect(bytes.withUnsafeBytes(HTTPFieldBytes.isSafeValue) == (byte == 0x20), "\(bytes)")
                    #expect(!bytes.withUnsafeBytes(HTTPFieldBytes.isSafeTarget), "\(bytes)")
                }
            }
        }
    }
}
