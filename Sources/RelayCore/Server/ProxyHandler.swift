import HTTPTypes
import NIOCore
import RelayHTTP
import RelayWire

/// One proxied request, from the client's headers to the upstream's last byte: auth → body
/// size → body parse → model (known, and in the key's scopes) → limits → targets, in that order;
/// the targets are tried by `Attempts` (ProxyHandler+Attempts.swift).
struct ProxyHandler {
    let gateway: Gateway
    let state: GatewayState
    let endpoint: Endpoint
    /// The client's address, for throttling repeated wrong keys.
    var client: ClientAddressKey
    /// The client's connection's watch: a request ends its upstream call as soon as the client
    /// leaves it.
    let watch: ClientConnectionWatch
    /// The connection's last key that authenticated.
    let keyMemo: ConnectionKeyMemo
    /// The request's body, whole or still arriving (`RelayRequestContext`).
    var body: ArrivingBody

    /// Largest upstream answer Relay reads whole (non-streamed answers and error bodies).
    static let maxUpstreamBody = 64 * 1024 * 1024

    /// Handles the request; what it holds is held by `call`, which the caller finishes (or the
    /// stream session the response carries does).
    func handle(_ request: ClientRequestHead, call: CallOwner, record: inout AccessRecord) async throws(RelayError)
        -> RelayResponse
    {
        record.api = endpoint.api
        var authorization = request.headerFields.value(.authorization)
        if authorization == nil, endpoint.api == .messages, let key = request.headerFields.value(.xAPIKey) {
            authorization = "Bearer " + key
        }
        guard
            let principal = await state.authenticator.authenticate(
                authorization: authorization, client: client, memo: keyMemo)
        else { throw .invalidAPIKey }
        record.key = principal.name
        let client = try await readBody(request, of: principal)
        // A model outside the key's scopes is answered as a missing one: a key learns nothing of
        // the models it may not use.
        guard let model = state.config.models[client.model], ModelPolicy.allows(principal, model: model.name) else {
            throw .modelNotFound(model: client.model)
        }
        record.model = model.name
        record.stream = client.stream && endpoint.streams
        // A Responses follow-up carries the conversation Relay stored, which the backend reads too.
        let turn =
            endpoint == .responses
            ? try await ResponsesTurn.begin(client, owner: principal.name, store: gateway.responses) : nil

        let completionBudget =
            switch endpoint {
            case .embeddings, .messagesCountTokens: 0
            case .responses: client.responsesCompletionBudget(default: state.config.defaultMaxTokens)
            default: client.completionBudget(default: state.config.defaultMaxTokens)
            }
        let promptEstimate = TokenEstimate.tokens(
            forBytes: client.promptBytes
                + (turn.map { $0.request.instructionsBytes + ($0.previous?.items.count ?? 0) } ?? 0))
        let reservation: Reservation
        switch await gateway.reserve(principal, estimatedTokens: promptEstimate + completionBudget) {
        case .admitted(let admitted):
            reservation = admitted
            call.hold(admitted, promptEstimate: promptEstimate)
            record.rateLimit = admitted.snapshot
        case .rejected(let rejection):
            record.rateLimit = rejection.snapshot
            gateway.metrics.recordRateLimited(key: principal.name, limit: rejection.limit.rawValue)
            throw .rateLimited(rejection)
        case .unavailable:
            throw .rateLimiterUnavailable
        }
        if principal.quotas != nil,
            let hold = try await gateway.reserveQuotas(principal, estimatedTokens: promptEstimate + completionBudget)
        {
            call.hold(quota: hold)
        }

        // One conversation on one backend, for its prompt cache.
        let ring = model.balance == .affinity ? state.affinityRings[model.name] : nil
        let affinity = ring.map { ring in
            let opening = turn.flatMap { ResponsesConversation.opening(of: client, previous: $0.previous?.items) }
            return (
                ring: ring,
                key: AffinityKey.of(client, sessionID: request.headerFields.value(.xSessionID), opening: opening)
            )
        }
        var targets = TargetPlanner.targets(
            for: model, backends: state.backends, allowFallback: principal.mayFallBack, affinity: affinity)
        // A conversation a backend served in its own Responses API continues there (SPEC §8).
        let home = turn?.previous?.nativeBackend
        if let home {
            targets.removeAll { $0.backend.name != home }
            if targets.isEmpty {
                throw .upstreamFailed(
                    message: "The backend \"\(home)\" that served previous_response_id does not serve model "
                        + "\"\(model.name)\" now.",
                    everyTargetTried: true)
            }
        }
        if endpoint == .messagesCountTokens {
            // Counted by a backend that serves Messages itself, else estimated here.
            targets.removeAll { !$0.backend.config.apis.contains(.messages) }
            if targets.isEmpty {
                await call.settle(.refund)
                record.status = 200
                let body = Array("{\"input_tokens\":\(promptEstimate)}".utf8)
                return RelayResponse(
                    status: .ok, headers: [.contentType: "application/json"], body: .bytes(ByteBuffer(bytes: body)))
            }
        }
        var attempts = Attempts(
            handler: self,
            call: call,
            principal: principal,
            client: client,
            alias: model.name,
            headers: request.headerFields,
            reservation: reservation,
            promptEstimate: promptEstimate,
            turn: turn
        )
        let response: RelayResponse
        do throws(RelayError) {
            response = try await attempts.run(targets, model: model, record: &record)
        } catch {
            guard let home else { throw error }
            throw Self.homeUnavailable(error, home: home)
        }
        if let affinity, let home = affinity.ring.preference(for: affinity.key).first {
            gateway.metrics.recordAffinity(model: model.name, hit: record.backend == model.backends[home])
        }
        return response
    }

    /// A follow-up whose conversation's backend cannot answer ends with a 502 that names it:
    /// the conversation does not silently move to a backend that never saw it.
    private static func homeUnavailable(_ error: RelayError, home: String) -> RelayError {
        switch error {
        case .upstreamUnavailable(let message), .upstreamFailed(let message, _):
            .upstreamFailed(
                message: "The backend \"\(home)\" that served previous_response_id cannot answer: \(message)",
                everyTargetTried: true)
        default: error
        }
    }

    private func readBody(_ request: ClientRequestHead, of principal: Principal) async throws(RelayError)
        -> ClientRequest
    {
        let limit = state.config.server.maxBodyBytes
        if let length = request.headerFields.value(.contentLength).flatMap({ Int($0) }), length > limit {
            throw .requestTooLarge(limit: limit)
        }
        let buffer: ByteBuffer
        switch body {
        case .whole(let whole):
            // A chunked body has no length to check before it arrives.
            guard whole.readableBytes <= limit else { throw .requestTooLarge(limit: limit) }
            buffer = whole
        case .arriving(let rest):
            // A body still arriving takes one of the key's `max_parallel` places while it does.
            if let places = principal.limits.maxParallel {
                guard gateway.bodyReads.enter(principal.name, limit: places) else {
                    gateway.metrics.recordRateLimited(key: principal.name, limit: RateLimitKind.parallel.rawValue)
                    throw .rateLimited(
                        RateLimitRejection(
                            limit: .parallel, retryAfterSeconds: 1, canEverFit: true, snapshot: RateLimitSnapshot()))
                }
            }
            defer { if principal.limits.maxParallel != nil { gateway.bodyReads.leave(principal.name) } }
            buffer = try await Self.collect(rest, limit: limit)
        }
        do {
            return try ClientRequest(body: Array(buffer.readableBytesView))
        } catch {
            throw .invalidRequest(message: error.message, param: error.param)
        }
    }

    /// The body still arriving, read to its end.
    private static func collect(_ rest: InboxRequestBody, limit: Int) async throws(RelayError) -> ByteBuffer {
        do {
            return try await rest.collect(upTo: limit)
        } catch is InboxRequestBody.TooLarge {
            throw .requestTooLarge(limit: limit)
        } catch {
            throw .invalidRequest(message: "The request body could not be read.", param: nil)
        }
    }
}
