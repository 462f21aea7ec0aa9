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
    /// The head was refused: its body and end are dropped too, never sent headless.
    private var refused = false

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head):
            guard let bytes = Self.encode(head, allocator: context.channel.allocator) else {
                refused = true
                promise?.fail(UpstreamRequestEncoderError.invalidHeader)
                context.fireErrorCaught(UpstreamRequestEncoderError.invalidHeader)
                return
            }
            refused = false
            pending = bytes
            promise?.succeed()
        case .body where refused:
            promise?.fail(UpstreamRequestEncoderError.invalidHeader)
        case .end where refused:
            refused = false
            promise?.fail(UpstreamRequestEncoderError.invalidHeader)
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

    /// The request line and fields, with room for a body of typical size; `nil` if a name is not
    /// a token or a value holds CR, LF or NUL (it would split the request).
    static func encode(_ head: HTTPRequestHead, allocator: ByteBufferAllocator) -> ByteBuffer? {
        let method = head.method.rawValue
        let uri = head.uri
        guard HTTPFieldBytes.isSafeValue(uri), !uri.utf8.contains(UInt8(ascii: " ")) else { return nil }
        // One pass over the fields (each read copies a name and a value); the buffer grows for
        // longer ones, and for a body larger than this.
        var buffer = allocator.buffer(capacity: 1024 + uri.utf8.count + 64 * head.headers.count)
        buffer.writeHeadLine(method, " ", uri, " HTTP/1.1\r\n")
        for (name, value) in head.headers {
            guard HTTPFieldBytes.isToken(name), HTTPFieldBytes.isSafeValue(value) else { return nil }
            buffer.writeHeadLine(name, ": ", value, "\r\n")
        }
        buffer.writeStaticString("\r\n")
        return buffer
    }
}

enum UpstreamRequestEncoderError: Error {
    /// A header name or value that cannot go on the wire as it is.
    case invalidHeader
}
