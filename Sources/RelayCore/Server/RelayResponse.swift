import HTTPTypes
import NIOCore
import RelayHTTP

/// An answer as a connection writes it: its status and fields, its body, and the fields Relay
/// adds to the head. A body known whole is written by the connection itself; a stream is
/// written by its session, on the connection's loop like the rest of the request.
struct RelayResponse: Sendable {
    enum Body: Sendable {
        case bytes(ByteBuffer)
        case stream(StreamSession)
    }

    /// Kept as it is, not in an `HTTPResponse`: that holds the status as the text of a pseudo
    /// field, read back into a number at each look.
    let status: HTTPResponse.Status
    var headers: HTTPFields
    var body: Body
    var decoration: ResponseDecoration?

    /// A body of known length is told in `Content-Length`, unless `headers` tell it already.
    init(status: HTTPResponse.Status, headers: HTTPFields, body: Body) {
        var headers = headers
        if case .bytes(let bytes) = body, !headers.contains(.contentLength) {
            headers[.contentLength] = String(bytes.readableBytes)
        }
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The body's length when it is known before it is written.
    var bodyLength: Int? {
        switch body {
        case .bytes(let bytes): bytes.readableBytes
        case .stream: nil
        }
    }
}
