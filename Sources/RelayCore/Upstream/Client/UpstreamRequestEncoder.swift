import NIOCore
import NIOHTTP1

/// Encodes the requests Relay sends a backend: head and body in one buffer, one socket write.
///
/// It stands where NIO's request encoder and its header validator would: they wrote the head a
/// run of bytes at a time and the body as separate writes, about 15,000 instructions a request.
/// Relay's requests always carry `Content-Length` (or no body), so no chunked framing is needed.
/// The response decoder after it still sees each request head, which it needs to read the answer.
final class UpstreamRequestEncoder: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = IOData

    /// The request so far, until its end.
    private var pending: ByteBuffer?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head):
            guard let bytes = Self.encode(head, allocator: context.channel.allocator) else {
                promise?.fail(UpstreamRequestEncoderError.invalidHeader)
                context.fireErrorCaught(UpstreamRequestEncoderError.invalidHeader)
                return
            }
            pending = bytes
            promise?.succeed()
        case .body(.byteBuffer(var body)):
            if pending != nil {
                pending!.writeBuffer(&body)
                promise?.succeed()
            } else {
                context.write(wrapOutboundOut(.byteBuffer(body)), promise: promise)
            }
        case .body(let region):
            flushPending(context)
            context.write(wrapOutboundOut(region), promise: promise)
        case .end:
            if let bytes = pending.take() {
                context.write(wrapOutboundOut(.byteBuffer(bytes)), promise: promise)
            } else {
                promise?.succeed()
            }
        }
    }

    private func flushPending(_ context: ChannelHandlerContext) {
        if let bytes = pending.take() { context.write(wrapOutboundOut(.byteBuffer(bytes)), promise: nil) }
    }

    /// The request line and fields, with room for the body its `Content-Length` announces;
    /// `nil` if a name is not a token or a value holds CR, LF or NUL (it would split the request).
    static func encode(_ head: HTTPRequestHead, allocator: ByteBufferAllocator) -> ByteBuffer? {
        let method = head.method.rawValue
        var size = method.utf8.count + 1 + head.uri.utf8.count + 13  // " HTTP/1.1\r\n" and the last CRLF
        var bodyLength = 0
        for (name, value) in head.headers {
            guard HTTPFieldBytes.isToken(name), HTTPFieldBytes.isSafeValue(value) else { return nil }
            size += name.utf8.count + value.utf8.count + 4
            if name.utf8.count == 14, name.lowercased() == "content-length" { bodyLength = Int(value) ?? 0 }
        }
        guard HTTPFieldBytes.isSafeValue(head.uri), !head.uri.utf8.contains(UInt8(ascii: " ")) else { return nil }
        var buffer = allocator.buffer(capacity: size + min(bodyLength, 1 << 20))
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { out in
            var writer = RawByteWriter(out: out)
            writer.put(method)
            writer.put(" ")
            writer.put(head.uri)
            writer.put(" HTTP/1.1\r\n")
            for (name, value) in head.headers {
                writer.put(name)
                writer.put(": ")
                writer.put(value)
                writer.put("\r\n")
            }
            writer.put("\r\n")
            return writer.at
        }
        return buffer
    }
}

enum UpstreamRequestEncoderError: Error {
    /// A header name or value that cannot go on the wire as it is.
    case invalidHeader
}

/// Checks on header bytes before they go on the wire, over the strings' bytes in place.
enum HTTPFieldBytes {
    /// RFC 9110's `tchar`, by byte: the characters a field name may have.
    private static let isTokenByte: [Bool] = (0..<256).map { value in
        let byte = UInt8(value)
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    static func isToken(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in !bytes.isEmpty && bytes.allSatisfy { isTokenByte[Int($0)] } }
    }

    /// No CR, LF or NUL: nothing that would end the field, or the head, early.
    static func isSafeValue(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            !bytes.contains { $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\n") || $0 == 0 }
        }
    }
}
