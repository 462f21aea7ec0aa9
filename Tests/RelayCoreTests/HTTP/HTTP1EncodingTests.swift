import HTTPTypes
import NIOCore
import Testing

@testable import RelayCore
@testable import RelayHTTP

/// Response bytes as a client reads them.
struct HTTP1EncodingTests {
    let allocator = ByteBufferAllocator()

    /// The head `HTTP1ResponseEncoding` writes, as text.
    private func head(
        _ status: HTTPResponse.Status, _ fields: HTTPFields, framing: ResponseFraming, date: String?
    ) -> String {
        String(
            buffer: HTTP1ResponseEncoding.head(
                status: status, fields: fields, framing: framing, date: date, allocator: allocator))
    }

    @Test func aResponseHeadIsTheStatusLineTheFieldsAndAnEmptyLine() {
        let date = "Fri, 27 Nov 2026 06:00:00 GMT"
        let fields: HTTPFields = [.contentType: "application/json", .contentLength: "2", .retryAfter: "7"]
        #expect(
            head(.tooManyRequests, fields, framing: .length, date: date)
                == "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
                + "Retry-After: 7\r\ndate: \(date)\r\n\r\n")
    }

    @Test func aStreamedHeadSaysChunkedWhateverTheResponseSaid() {
        let fields: HTTPFields = [.contentType: "text/event-stream", .transferEncoding: "gzip", .date: "yesterday"]
        #expect(
            head(.ok, fields, framing: .chunked, date: "today")
                == "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\ndate: today\r\n"
                + "transfer-encoding: chunked\r\n\r\n")
    }

    @Test func aStatusWithoutBodyTellsNoLength() {
        let fields: HTTPFields = [.contentLength: "0", .xRequestID: "r1"]
        #expect(
            head(.noContent, fields, framing: .bodiless, date: nil)
                == "HTTP/1.1 204 No Content\r\nx-request-id: r1\r\n\r\n")
    }

    @Test func fieldsLongerThanTheRoomGivenAreWrittenWholeInOrder() {
        let long = String(repeating: "a", count: 300)
        let fields: HTTPFields = [
            .contentType: "application/json", .xRequestID: long, .transferEncoding: "chunked",
            .retryAfter: String(repeating: "7", count: 200), .contentLength: "2",
        ]
        #expect(
            head(.ok, fields, framing: .length, date: "today")
                == "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nx-request-id: \(long)\r\n"
                + "Retry-After: \(String(repeating: "7", count: 200))\r\nContent-Length: 2\r\ndate: today\r\n\r\n")
    }

    @Test func chunksCarryTheirSizeInHexadecimal() {
        let event = "data: " + String(repeating: "x", count: 248) + "\n\n"
        let chunk = HTTP1ResponseEncoding.chunk(ByteBuffer(string: event), allocator: allocator)
        #expect(String(buffer: chunk) == "100\r\n\(event)\r\n")
        let one = HTTP1ResponseEncoding.chunk(ByteBuffer(string: "a"), allocator: allocator)
        #expect(String(buffer: one) == "1\r\na\r\n")
        var end = allocator.buffer(capacity: 0)
        HTTP1ResponseEncoding.lastChunk(trailers: [.init("x-usage")!: "22"], into: &end)
        #expect(String(buffer: end) == "0\r\nx-usage: 22\r\n\r\n")
    }
}
