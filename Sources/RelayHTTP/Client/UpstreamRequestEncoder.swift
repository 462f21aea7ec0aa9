import NIOCore
import RelayWire

/// Encodes the requests Relay sends a backend: head and body in one buffer, one socket write.
///
/// Relay's requests always carry `Content-Length` (or no body), so no chunked framing is needed.
enum UpstreamRequestEncoder {
    /// The request's bytes; `nil` if a name is not a token or a value (or the path) holds CR,
    /// LF or NUL: it would split the request, so nothing of it is sent.
    package static func encode(_ request: UpstreamRequest, allocator: ByteBufferAllocator) -> ByteBuffer? {
        let method = request.method.rawValue
        var headSize = method.utf8.count + 1 + request.path.utf8.count + requestLineEnd.utf8CodeUnitCount + 2
        for (name, value) in request.headers { headSize += name.utf8.count + 2 + value.utf8.count + 2 }
        var buffer = allocator.buffer(capacity: headSize + (request.body?.count ?? 0))
        var valid = true
        // Each part is checked where it was copied: one pass over bytes already in the cache.
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: headSize) { out in
            var writer = RawByteWriter(out: out)
            writer.put(method)
            writer.put(" ")
            valid = HTTPFieldBytes.isSafeTarget(writer.put(request.path))
            writer.put(requestLineEnd)
            for (name, value) in request.headers where valid {
                valid = HTTPFieldBytes.isToken(writer.put(name))
                writer.put(": ")
                valid = valid && HTTPFieldBytes.isSafeValue(writer.put(value))
                writer.put("\r\n")
            }
            writer.put("\r\n")
            return writer.at
        }
        guard valid else { return nil }
        if let body = request.body { buffer.writeBytes(body) }
        return buffer
    }

    private static let requestLineEnd: StaticString = " HTTP/1.1\r\n"
}

/// A request whose header could not go on the wire as it is.
struct UpstreamRequestEncoderError: Error, CustomStringConvertible {
    var description: String { "a header of the request cannot be sent as it is" }
}
