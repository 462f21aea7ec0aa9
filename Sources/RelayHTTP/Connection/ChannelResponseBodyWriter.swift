import HTTPTypes
import NIOCore

/// Writes a response, head and body, framed for HTTP/1.1, waiting while the client reads slower
/// than the body comes.
package struct ChannelResponseBodyWriter {
    /// A body of known length up to this size goes out in one buffer with its head.
    static let holdLimit = 16 * 1024

    let inbox: ConnectionInbox
    let framing: ResponseFraming
    /// The head, and the body so far while it is small, not written yet.
    private var held: ByteBuffer?

    /// Encodes the head: held back for a body of known length, sent at once before a stream.
    package init(
        inbox: ConnectionInbox, framing: ResponseFraming, status: HTTPResponse.Status, fields: HTTPFields,
        decoration: ResponseDecoration?, bodyLength: Int?
    ) throws {
        self.inbox = inbox
        self.framing = framing
        let bytes = HTTP1ResponseEncoding.head(
            status: status, fields: fields, decoration: decoration, framing: framing, date: HTTPDate.now(),
            allocator: inbox.allocator,
            reserving: framing == .length ? min(bodyLength ?? 0, Self.holdLimit) : 0)
        switch framing {
        case .length, .headOnly, .bodiless:
            held = bytes
        case .chunked, .untilClose:
            try inbox.write(bytes, flush: true)
        }
    }

    package mutating func write(_ buffer: ByteBuffer) async throws {
        switch framing {
        case .headOnly, .bodiless:
            return
        case .length:
            if var held = held.take() {
                if held.readableBytes + buffer.readableBytes <= Self.holdLimit {
                    held.writeImmutableBuffer(buffer)
                    self.held = held
                    return
                }
                try inbox.write(held, flush: false)
            }
            try await inbox.waitUntilWritable()
            try inbox.write(buffer, flush: false)
        case .chunked:
            try await inbox.waitUntilWritable()
            try inbox.write(HTTP1ResponseEncoding.chunk(buffer, allocator: inbox.allocator), flush: true)
        case .untilClose:
            try await inbox.waitUntilWritable()
            try inbox.write(buffer, flush: true)
        }
    }

    package consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        var last = held
        if framing == .chunked {
            var end = inbox.allocator.buffer(capacity: 5)
            HTTP1ResponseEncoding.lastChunk(trailers: trailingHeaders, into: &end)
            last = end
        }
        try inbox.endResponse(last)
    }
}
