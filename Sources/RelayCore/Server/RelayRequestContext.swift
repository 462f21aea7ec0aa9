import NIOCore
import RelayHTTP

/// What a responder knows of a request besides the request: where it came from and on which
/// connection.
struct RelayRequestContext: Sendable {
    let remoteAddress: SocketAddress?
    /// The connection the request came on: draining closes it after the response.
    let channel: any Channel
    /// The connection's "the client left" signal: a request ends its upstream call at once.
    let watch: ClientConnectionWatch
    /// The connection's last key that authenticated.
    let keyMemo = ConnectionKeyMemo()
    /// The request's body, whole or still arriving: the responders read it from here.
    var body: ArrivingBody = .whole(ByteBuffer())
}
