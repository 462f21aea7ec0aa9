import HTTPTypes
import HummingbirdCore
import NIOCore

/// An answer as a connection writes it: its status and fields, its body, and the fields Relay
/// adds to the head. A body known whole is written by the connection itself; only a stream goes
/// through a Hummingbird `ResponseBody`, whose closures and writer protocol (another module's
/// `async` functions) cost a task switch at each call, several an answer.
public struct RelayResponse: Sendable {
    public enum Body: Sendable {
        case bytes(ByteBuffer)
        case stream(ResponseBody)
    }

    /// Kept as it is, not in an `HTTPResponse`: that holds the status as the text of a pseudo
    /// field, read back into a number at each look (about 200 instructions, three an answer).
    public let status: HTTPResponse.Status
    public var headers: HTTPFields
    public var body: Body
    public var decoration: ResponseDecoration?

    /// A body of known length is told in `Content-Length`, unless `headers` tell it already (as
    /// Hummingbird's `Response` does).
    public init(status: HTTPResponse.Status, headers: HTTPFields, body: Body) {
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
        case .stream(let stream): stream.contentLength
        }
    }
}
