import HTTPTypes
import NIOCore
import RelayHTTP
import RelayWire

/// Routes each request to its handler and turns every error into one OpenAI-shaped answer.
///
/// A plain switch over method and path rather than a router: the gateway has a handful of
/// fixed routes, and model ids in `/v1/models/{id}` may contain `/`.
struct GatewayResponder: Sendable {
    let gateway: Gateway

    func respond(to request: ClientRequestHead, context: RelayRequestContext) async -> RelayResponse {
        var response = await answer(request, context: context)
        // While draining, every answer closes its connection, so keep-alive clients and load
        // balancers reconnect to a replica that is staying instead of holding this one.
        if gateway.readiness.isDraining {
            response.headers[.connection] = "close"
            // The connection closes once this request's response has ended.
            context.channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
        return response
    }

    /// The answer, with Relay's fields for its head when it answers a request to a model.
    private func answer(_ request: ClientRequestHead, context: RelayRequestContext) async -> RelayResponse {
        let path = request.routePath
        // One read of the config state per request, used from routing to the last byte.
        let state = gateway.state
        let server = state.config.server
        switch (request.method, path) {
        // HEAD answers as GET does; the connection leaves the body out.
        case (.get, "/healthz"), (.head, "/healthz"):
            return Self.json(.ok, Array("{\"status\":\"ok\"}".utf8))
        case (.get, "/readyz"), (.head, "/readyz"):
            return server.adminPort == nil ? readiness() : readinessStatusOnly()
        case (.get, server.metricsPath ?? "") where server.adminPort == nil:
            return await Self.metrics(gateway)
        default:
            break
        }
        var record = AccessRecord(requestID: Self.requestID(request.headerFields.value(.xRequestID)))
        record.noteOrigin(headers: request.headerFields, peer: context.remoteAddress, trusted: state.trustedProxies)
        // Ends the request exactly once, whichever way it ends: here, or for a stream through
        // the session the response carries.
        let call = CallOwner(gateway: gateway)
        var response: RelayResponse
        do throws(RelayError) {
            response = try await route(
                request, path: path, state: state,
                client: record.clientIP.map(ClientAddressKey.init) ?? ClientAddressKey(context.remoteAddress),
                connection: context, call: call, record: &record)
        } catch {
            record.status = Int(error.status.code)
            record.error = error.message
            record.handedOverAt = .now()
            response = Self.errorResponse(error, api: Endpoint(rawValue: path)?.api ?? record.api)
            response.decoration = ResponseDecoration(record)
            await call.finish(record)
            return response
        }
        // Made before the line below marks the answer handed over: an answer Relay made itself
        // (the model list) tells no overhead.
        response.decoration = ResponseDecoration(record)
        if case .stream = response.body { return response }
        record.status = Int(response.status.code)
        record.handedOverAt = record.handedOverAt ?? .now()
        await call.finish(record)
        return response
    }

    private func route(
        _ request: ClientRequestHead,
        path: String,
        state: GatewayState,
        client: ClientAddressKey,
        connection: RelayRequestContext,
        call: CallOwner,
        record: inout AccessRecord
    ) async throws(RelayError) -> RelayResponse {
        if let endpoint = Endpoint(rawValue: path) {
            guard request.method == .post else { throw .methodNotAllowed }
            return try await ProxyHandler(
                gateway: gateway, state: state, endpoint: endpoint, client: client,
                watch: connection.watch, keyMemo: connection.keyMemo, body: connection.body
            )
            .handle(request, call: call, record: &record)
        }
        if path.hasPrefix(StoredResponsesHandler.pathPrefix) {
            return try await StoredResponsesHandler(gateway: gateway, state: state, client: client)
                .handle(request, path: path, record: &record)
        }
        if path == "/v1/models" || path.hasPrefix("/v1/models/") {
            guard request.method == .get else { throw .methodNotAllowed }
            return try await ModelsHandler(state: state, client: client)
                .handle(request, path: path, record: &record)
        }
        throw .routeNotFound(path: path)
    }

    static func errorResponse(_ error: RelayError, api: ClientAPI = .chat) -> RelayResponse {
        var response = json(error.status(for: api), error.body(for: api))
        switch error {
        case .rateLimited(let rejection):
            response.headers[.retryAfter] = String(rejection.retryAfterSeconds)
        case .quotaExceeded(_, let retryAfter), .budgetExceeded(let retryAfter):
            response.headers[.retryAfter] = String(retryAfter)
        case .upstreamUnavailable, .responseStoreUnavailable:
            // Every target was busy or its circuit open, or Redis is reconnecting: it may be back any moment.
            response.headers[.retryAfter] = "1"
        default:
            break
        }
        if error.shouldNotRetry { response.headers[.xShouldRetry] = "false" }
        return response
    }

    static func json(_ status: HTTPResponse.Status, _ body: [UInt8]) -> RelayResponse {
        RelayResponse(
            status: status, headers: [.contentType: "application/json"], body: .bytes(ByteBuffer(bytes: body)))
    }

    /// The Prometheus exposition; `relay_quota_remaining` read from the quota store first.
    static func metrics(_ gateway: Gateway) async -> RelayResponse {
        if gateway.quotas != nil { _ = try? await gateway.quotaUsage() }
        return RelayResponse(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .bytes(ByteBuffer(bytes: gateway.metricsExposition()))
        )
    }

    /// With an admin port, the public `/readyz` tells only ready or not; the details are there.
    private func readinessStatusOnly() -> RelayResponse {
        let ready = gateway.isReady
        return Self.json(
            ready ? .ok : .serviceUnavailable, Array("{\"status\":\"\(ready ? "ready" : "not_ready")\"}".utf8))
    }

    /// 503 while draining, or in `closed` mode while Redis is unreachable; backends never make
    /// Relay unready, they are listed with their state.
    func readiness() -> RelayResponse {
        let draining = gateway.readiness.isDraining
        let ready = gateway.isReady
        let state = gateway.state
        let backends = state.backends.keys.sorted().compactMap { name -> String? in
            guard let backend = state.backends[name] else { return nil }
            let circuit =
                switch backend.circuit.state {
                case .closed: "up"
                case .open: "circuit_open"
                case .probing: "probing"
                }
            var fields = "\"state\":\"\(circuit)\",\"in_flight\":\(backend.inFlight)"
            if let waiting = backend.waitingUpstream { fields += ",\"waiting\":\(waiting)" }
            let notPulled = backend.modelsNotPulled.map { String(decoding: JSONString.encode($0), as: UTF8.self) }
            if !notPulled.isEmpty { fields += ",\"not_pulled\":[\(notPulled.joined(separator: ","))]" }
            return "\(String(decoding: JSONString.encode(name), as: UTF8.self)):{\(fields)}"
        }
        let body =
            "{\"status\":\"\(draining ? "draining" : ready ? "ready" : "not_ready")\","
            + "\"backends\":{\(backends.joined(separator: ","))},\"rate_limits\":\"\(gateway.rateLimitStore)\"}"
        return Self.json(ready ? .ok : .serviceUnavailable, Array(body.utf8))
    }

    /// The client's request id when it is a sane token, else a new random UUID.
    static func requestID(_ offered: String?) -> String {
        if let offered, !offered.isEmpty, offered.utf8.count <= 128,
            offered.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
        {
            return offered
        }
        return UUIDText.random()
    }
}
