import NIOCore

/// Encodes the requests Relay sends a backend: head and body in one buffer, one socket write.
///
/// It stands where NIO's request encoder and its header validator would: they wrote the head a
/// run of bytes at a time and the body as separate writes, about 15,000 instructions a request.
/// Relay's requests always carry `Content-Length` (or no body), so no chunked framing is needed.
enum UpstreamRequestEncoder {
    /// The request's bytes; `nil` if a name is not a token or a value (or the path) holds CR,
    /// LF or NUL: it would split the request, so nothing of it is sent.
    static func encode(_ request: UpstreamRequest, allocator: ByteBufferAllocator) -> ByteBuffer? {
        let path = request.path
        guard HTTPFieldBytes.isSafeValue(path), !path.utf8.contains(UInt8(ascii: " ")) else { return nil }
        // The buffer grows for longer fields.
        let bodyLength = request.body?.readableBytes ?? 0
        var buffer = allocator.buffer(capacity: 256 + path.utf8.count + 64 * request.headers.count + bodyLength)
        buffer.writeHeadLine(request.method.rawValue, " ", path, " HTTP/1.1\r\n")
        for (name, value) in request.headers {
            guard HTTPFieldBytes.isToken(name), HTTPFieldBytes.isSafeValue(value) else { return nil }
            buffer.writeHeadLine(name, ": ", value, "\r\n")
        }
        buffer.writeStaticString("\r\n")
        if var body = request.body { buffer.writeBuffer(&body) }
        return buffer
    }
}

/// A request whose header could not go on the wire as it is.
struct UpstreamRequestEncoderError: Error, CustomStringConvertible {
    var description: String { "a header of the request cannot be sent as it is" }
}
