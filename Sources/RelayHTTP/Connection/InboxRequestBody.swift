import NIOCore
import NIOHTTP1

/// A request's body as the connection has it when the request's answer begins.
package enum ArrivingBody: Sendable {
    /// All of it came with the head: the usual case, a small body in the same read.
    case whole(ByteBuffer)
    /// Some of it is still to come.
    case arriving(InboxRequestBody)
}

/// A request body still arriving: read from the connection part by part, up to the request's
/// `.end`. Read here rather than through Hummingbird's `RequestBody`, whose type-erased
/// sequence steps through another module's `async` functions for every part.
package struct InboxRequestBody: Sendable {
    let inbox: ConnectionInbox

    package init(inbox: ConnectionInbox) {
        self.inbox = inbox
    }

    /// More than the limit arrived; the rest is left unread (the connection skips it).
    package struct TooLarge: Error {}

    /// The rest of the body, whole.
    package func collect(upTo limit: Int) async throws -> ByteBuffer {
        var body = ByteBuffer()
        while inbox.bodyPending {
            switch try await inbox.next() {
            case .body(var part):
                guard part.readableBytes <= limit - body.readableBytes else { throw TooLarge() }
                body.writeBuffer(&part)
            case .end: break
            // The input ended inside the body: it is cut short, not complete.
            case nil: throw HTTPParserError.invalidEOFState
            case .head: throw HTTPParserError.invalidInternalState
            }
        }
        return body
    }
}
