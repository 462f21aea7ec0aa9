import HTTPTypes
import HummingbirdCore
import NIOCore

/// Writes a response body into the connection's pipeline, waiting while the client reads
/// slower than the body comes.
struct ChannelResponseBodyWriter: ResponseBodyWriter {
    let inbox: ConnectionInbox
    /// Streams flush every write; a body of known length is flushed once, with its end.
    let flushEachWrite: Bool

    mutating func write(_ buffer: ByteBuffer) async throws {
        try await inbox.waitUntilWritable()
        try inbox.write(.body(buffer), flush: flushEachWrite)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        try inbox.write(.end(trailingHeaders), flush: true)
    }
}
