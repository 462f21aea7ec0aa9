import HTTPTypes
import HummingbirdCore
import NIOCore
import NIOHTTP1
import RelayHTTP

/// What answers the requests of a connection: the gateway on the main port, the admin
/// endpoints on the admin port.
///
/// Cases, not a protocol: a call through a protocol's `async` requirement costs the caller a
/// task switch when it returns (a look-up of the task's preferred executor, under the task's
/// lock), and the connection's task, which Hummingbird starts through its own protocol, does not
/// get a copy specialised for each responder.
enum RelayResponder: Sendable {
    case gateway(GatewayResponder)
    case admin(AdminResponder)

    func respond(to request: ClientRequestHead, context: RelayRequestContext) async -> RelayResponse {
        switch self {
        case .gateway(let gateway): await gateway.respond(to: request, context: context)
        case .admin(let admin): await admin.respond(to: request, context: context)
        }
    }

    /// The access line of bytes answered with a 400 because they were not a request; the
    /// admin port writes none, as for its requests.
    func logUnparsable(reason: String, peer: SocketAddress?) {
        guard case .gateway(let responder) = self else { return }
        var record = AccessRecord(requestID: UUIDText.random())
        record.clientIP = peer.flatMap(IPAddress.init)
        record.status = 400
        record.error = reason
        record.handedOverAt = .now()
        responder.gateway.logAccess(record)
    }
}
