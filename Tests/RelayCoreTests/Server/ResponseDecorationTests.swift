import HTTPTypes
import NIOCore
import Testing

@testable import RelayCore
@testable import RelayHTTP
@testable import RelayWire

/// The fields Relay adds to an answer's head, as the client reads them.
struct ResponseDecorationTests {
    private func head(_ decoration: ResponseDecoration) -> String {
        var response = HTTPResponse(status: .ok)
        response.headerFields = [.contentLength: "0"]
        let bytes = HTTP1ResponseEncoding.head(
            status: response.status, fields: response.headerFields, decoration: decoration, framing: .length,
            date: nil, allocator: ByteBufferAllocator())
        return String(buffer: bytes)
    }

    @Test func followTheAnswersOwnFields() {
        var record = AccessRecord(requestID: "req-1")
        record.backend = "vllm-a"
        record.attempts = 2
        record.handedOverAt = record.start + .microseconds(1_500)
        record.upstreamTime = .microseconds(1_250)
        record.rateLimit = RateLimitSnapshot(requests: WindowSnapshot(limit: 60, remaining: 59, reset: .seconds(1)))
        #expect(
            head(ResponseDecoration(record))
                == "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nx-request-id: req-1\r\nx-relay-backend: vllm-a\r\n"
                + "x-relay-attempts: 2\r\nx-relay-overhead-ms: 0.25\r\nx-ratelimit-limit-requests: 60\r\n"
                + "x-ratelimit-remaining-requests: 59\r\nx-ratelimit-reset-requests: 1s\r\n\r\n")
    }

    @Test func aBackendNameThatIsNoFieldValueIsMadeOneAsSwiftHTTPTypesWould() {
        var record = AccessRecord(requestID: "req-2")
        record.backend = " two\r\nlines\u{0} "
        record.stream = true
        let legal = HTTPField(name: .xRelayBackend, value: record.backend).withUnsafeBytesOfValue {
            String(decoding: $0, as: UTF8.self)
        }
        let written = head(ResponseDecoration(record))
        #expect(written.contains("\r\nx-relay-backend: \(legal)\r\nx-relay-attempts: 0\r\n\r\n"))
        #expect(!legal.contains("\r") && !legal.contains("\n"))
    }

    @Test func theLongestFieldsFitTheRoomCounted() {
        var record = AccessRecord(requestID: String(repeating: "r", count: 128))
        record.backend = String(repeating: "b", count: 300)
        record.attempts = .max
        record.handedOverAt = record.start + .hours(10_000_000)
        let longest = WindowSnapshot(limit: .min, remaining: .min, reset: .seconds(Int64.max / 1000))
        record.rateLimit = RateLimitSnapshot(requests: longest, tokens: longest)
        let decoration = ResponseDecoration(record)
        var room = [UInt8](repeating: 0, count: decoration.mostBytes)
        let written = room.withUnsafeMutableBytes { out in
            var writer = RawByteWriter(out: out)
            decoration.put(into: &writer)
            return writer.at
        }
        #expect(written <= decoration.mostBytes)
        let lastLine = "x-ratelimit-reset-tokens: \(RateLimitDuration.format(longest.reset))\r\n"
        #expect(String(decoding: room[..<written], as: UTF8.self).hasSuffix(lastLine))
    }
}
