import HTTPTypes
import RelayHTTP
import RelayWire

/// The admin port (`server.admin_port`): `/metrics`, the detailed `/readyz` and `/admin/usage`
/// (each key's quotas and budget, SPEC §10), kept off the client-facing port because they carry
/// key names.
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
            return await GatewayResponder.metrics(gateway)
        case (.get, "/admin/usage"):
            do {
                let report = try await gateway.quotaUsage()
                return GatewayResponder.json(.ok, report?.json() ?? Array(#"{"keys":[]}"#.utf8))
            } catch {
                return GatewayResponder.json(
                    .serviceUnavailable,
                    OpenAIErrorBody.encode(
                        message: "The quota store cannot be read: \(error.reason)", type: "api_error", param: nil,
                        code: "quota_store_unavailable"))
            }
        default:
            return GatewayResponder.errorResponse(.routeNotFound(path: request.routePath))
        }
    }
}
