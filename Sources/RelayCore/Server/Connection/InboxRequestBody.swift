import NIOCore
import NIOHTTP1

/// A request body still arriving: its parts as the connection reads them, up to the request's `.end`.
struct InboxRequestBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let inbox: ConnectionInbox

    struct AsyncIterator: AsyncIteratorProtocol {
        let inbox: ConnectionInbox

        mutating func next() async throws -> ByteBuffer? {
            guard inbox.bodyPending else { return nil }
            switch try await inbox.next() {
            case .body(let buffer): return buffer
            case .end: return nil
            // The input ended inside the body: it is cut short, not complete.
            case nil: throw HTTPParserError.invalidEOFState
            case .head: throw HTTPParserError.invalidInternalState
            }
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(inbox: inbox)
    }
}
