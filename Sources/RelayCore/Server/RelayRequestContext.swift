import NIOCore

/// What a responder knows of a request besides the request: where it came from and on which
/// connection.
public struct RelayRequestContext: Sendable {
    public let remoteAddress: SocketAddress?
    /// The connection the request came on: draining closes it after the response.
    let channel: any Channel
}
