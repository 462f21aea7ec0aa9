import NIOCore

/// Bytes read from a connection and not parsed yet: a parser takes them all, reads what it can,
/// and puts the rest back. None are held once all are parsed, so NIO can reuse its receive
/// buffer; a piece that arrives before the last is parsed is appended to it.
package struct UnreadBytes {
    private var bytes: ByteBuffer?

    package init() {}

    package mutating func append(_ buffer: ByteBuffer) {
        if buffer.readableBytes == 0 { return }
        if bytes == nil {
            bytes = buffer
        } else {
            var buffer = buffer
            bytes!.writeBuffer(&buffer)
        }
    }

    /// All of them (none: an empty buffer), to parse.
    package mutating func take() -> ByteBuffer {
        bytes.take() ?? Self.none
    }

    /// What the parser did not read.
    package mutating func putBack(_ rest: ByteBuffer) {
        if rest.readableBytes > 0 { bytes = rest }
    }

    private static let none = ByteBuffer()
}
