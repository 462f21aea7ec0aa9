import HTTPTypes
import RelayHTTP

/// The admin port (`server.admin_port`): `/metrics` and the detailed `/readyz`, kept off the
/// client-facing port because metrics carry key names.
struct AdminResponder: Sendable {
    let gateway: Gateway

    func respond(to request: ClientRequestHead, context: RelayRequestContext) async -> RelayResponse {
        let metricsPath = gateway.state.config.server.metricsPath
        switch (request.method, request.routePath) {
        case (.get, "/readyz"):
            return GatewayResponder(gateway: gateway).readiness()
        case (.get, "/healthz"):
            return GatewayResponder.json(.ok, Array("{\"status\":\"ok\"}".utf8))
        case (.get, let path) where path == metricsPath:
            return GatewayResponder.metrics(gateway)
        default:
            return GatewayResponder.errorResponse(.routeNotFound(path: request.routePath))
        }
    }
}
