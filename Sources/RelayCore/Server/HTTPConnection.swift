import HTTPTypes
import HummingbirdCore
import NIOCore
import NIOHTTP1
import RelayHTTP
import RelayWire

/// One client connection: its requests answered one after another, keep-alive, until the client
/// leaves, asks to close, or sends what is not HTTP/1.1.
struct HTTPConnection: ServerChildChannelValue {
    let channel: any Channel
    let inbox: ConnectionInbox

    /// Runs on the connection's event loop (the caller's task executor preference).
    func serve(_ responder: RelayResponder) async {
        let context = RelayRequestContext(remoteAddress: channel.remoteAddress, channel: channel, watch: inbox.watch)
        do {
            var head = try await nextHead()
            while let request = head {
                let keepAlive = try await answer(request, responder: responder, context: context)
                head = keepAlive ? try await nextHead() : nil
            }
        } catch let error as HTTP1ParseError {
            answerUnparsable(because: "The request is not valid HTTP/1.1: \(error.description).", responder: responder)
        } catch is HTTPParserError {
            answerUnparsable(because: "The request is not valid HTTP/1.1.", responder: responder)
        } catch {
            // The connection failed or closed while reading or writing: nothing to answer.
        }
        await inbox.closeOutput()
    }

    /// The next request's head, past what the last handler left unread of its body; `nil` when
    /// the client is done.
    private func nextHead() async throws -> ClientRequestHead? {
        while inbox.bodyPending {
            guard try await inbox.next() != nil else { return nil }
        }
        switch try await inbox.next() {
        case .head(let head): return head
        case nil: return nil
        case .body, .end: throw HTTPParserError.invalidInternalState
        }
    }

    /// Answers one request; `false` when the connection closes after it.
    private func answer(
        _ head: ClientRequestHead,
        responder: RelayResponder,
        context: RelayRequestContext
    ) async throws -> Bool {
        var context = context
        context.body = inbox.takeArrivedBody().map(ArrivingBody.whole) ?? .arriving(InboxRequestBody(inbox: inbox))
        let response = await responder.respond(to: head, context: context)
        let framing = ResponseFraming(
            status: response.status, fields: response.headers, bodyLength: response.bodyLength,
            method: head.method, minorVersion: head.minorVersion)
        try await write(response, framing: framing)
        // Draining: the connection closes once the requests already read are answered.
        if inbox.quiescing, inbox.requestsInProgress == 0 { return false }
        return head.keepAlive && framing != .untilClose
    }

    /// A body of known length goes out with its head (in one buffer when small) and one flush; a
    /// stream is flushed write by write, so each event reaches the client as it comes.
    private func write(_ response: RelayResponse, framing: ResponseFraming) async throws {
        inbox.beginResponse()
        var writer = try ChannelResponseBodyWriter(
            inbox: inbox, framing: framing, status: response.status, fields: response.headers,
            decoration: response.decoration,
            bodyLength: response.bodyLength)
        switch response.body {
        case .bytes(let bytes):
            if bytes.readableBytes > 0 { try await writer.write(bytes) }
            try await writer.finish(nil)
        case .stream(let session):
            try await session.run(writer)
        }
        // A body that ended without its end left the response unfinished: close, never reuse.
        if !inbox.responseEnded { throw ChannelError.ioOnClosedChannel }
    }

    /// Bytes that are not an HTTP/1.1 request: a 400 in OpenAI's shape and its access line, then
    /// the connection closes.
    private func answerUnparsable(because reason: String, responder: RelayResponder) {
        responder.logUnparsable(reason: reason, peer: channel.remoteAddress)
        try? writeUnparsable(RelayError.invalidRequest(message: reason, param: nil))
    }

    private func writeUnparsable(_ error: RelayError) throws {
        let body = error.body
        let fields: HTTPFields = [
            .contentType: "application/json", .contentLength: String(body.count), .connection: "close",
        ]
        var bytes = HTTP1ResponseEncoding.head(
            status: error.status, fields: fields, framing: .length, date: HTTPDate.now(), allocator: inbox.allocator,
            reserving: body.count)
        bytes.writeBytes(body)
        inbox.beginResponse()
        try inbox.endResponse(bytes)
    }
}
