import NIOCore

/// What a responder knows of a request besides the request: where it came from and on which
/// connection.
public struct RelayRequestContext: Sendable {
    public let remoteAddress: SocketAddress?
    /// The connection the request came on: draining closes it after the response.
    let channel: any Channel
    /// The connection's "the client left" signal: a request ends its upstream call at once.
    let watch: ClientConnectionWatch
    /// The whole body, when it had arrived with the head (the usual case): read as it is, where
    /// collecting it from the request's body sequence would step through several `async`
    /// functions, each a task switch.
    var arrivedBody: ByteBuffer?
}
