import HTTPTypes
import NIOCore

/// One proxied request, from the client's headers to the upstream's last byte:
/// auth → body size → body parse → model → scope → limits → targets, in that order.
struct ProxyHandler {
    let gateway: Gateway
    let state: GatewayState
    let endpoint: Endpoint
    /// The client's address, for throttling repeated wrong keys.
    var client: ClientAddressKey
    /// The client's connection's watch: a request ends its upstream call as soon as the client
    /// leaves it.
    let watch: ClientConnectionWatch
    /// The request's body, whole or still arriving (`RelayRequestContext`).
    var body: ArrivingBody

    /// Largest upstream answer Relay reads whole (non-streamed answers and error bodies).
    static let maxUpstreamBody = 64 * 1024 * 1024

    func handle(_ request: ClientRequestHead, record: inout AccessRecord) async throws(RelayError) -> RelayResponse {
        let authorization = request.headerFields.value(.authorization)
        guard let principal = await state.authenticator.authenticate(authorization: authorization, client: client)
        else { throw .invalidAPIKey }
        record.key = principal.name
        let client = try await readBody(request)
        guard let model = state.config.models[client.model] else { throw .modelNotFound(model: client.model) }
        record.model = model.name
        guard ModelPolicy.allows(principal, model: model.name) else { throw .modelNotAllowed(model: model.name) }
        record.stream = client.stream && endpoint.streams

        let completionBudget = endpoint == .embeddings ? 0 : client.maxTokens ?? state.config.defaultMaxTokens
        let promptEstimate = TokenEstimate.tokens(forBytes: client.promptBytes)
        let reservation: Reservation
        switch await gateway.reserve(principal, estimatedTokens: promptEstimate + completionBudget) {
        case .admitted(let admitted):
            reservation = admitted
            record.rateLimit = admitted.snapshot
        case .rejected(let rejection):
            record.rateLimit = rejection.snapshot
            gateway.metrics.recordRateLimited(key: principal.name, limit: rejection.limit)
            throw .rateLimited(rejection)
        case .unavailable:
            throw .rateLimiterUnavailable
        }

        let targets = TargetPlanner.targets(for: model, backends: state.backends, allowFallback: principal.mayFallBack)
        var call = Call(
            handler: self,
            principal: principal,
            client: client,
            alias: model.name,
            headers: request.headerFields,
            reservation: reservation,
            promptEstimate: promptEstimate
        )
        do {
            return try await call.run(targets, model: model, record: &record)
        } catch {
            await gateway.settle(reservation, usage: nil)
            throw error
        }
    }

    private func readBody(_ request: ClientRequestHead) async throws(RelayError) -> ClientRequest {
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

extension ProxyHandler {
    /// The attempts of one request over its targets, in order, until one answers.
    struct Call {
        let handler: ProxyHandler
        let principal: Principal
        let client: ClientRequest
        let alias: String
        let headers: HTTPFields
        let reservation: Reservation
        let promptEstimate: Int

        private var lastFailure: UpstreamFailure?
        private var fallbackRejection: RateLimitRejection?
        /// The target Relay last moved on from, and why: counted as a fallback once another is called.
        private var movedOn: (from: String, reason: String)?
        private var firstCalled: String?

        init(
            handler: ProxyHandler,
            principal: Principal,
            client: ClientRequest,
            alias: String,
            headers: HTTPFields,
            reservation: Reservation,
            promptEstimate: Int
        ) {
            self.handler = handler
            self.principal = principal
            self.client = client
            self.alias = alias
            self.headers = headers
            self.reservation = reservation
            self.promptEstimate = promptEstimate
        }

        /// Tries the targets in order until one answers. A busy backend or one whose circuit is
        /// open is skipped (not an attempt); when every own backend is busy, the request waits up
        /// to the model's `queue_timeout_s` for a slot before it spills over to the fallbacks.
        mutating func run(_ targets: [Target], model: ModelConfig, record: inout AccessRecord) async throws(RelayError)
            -> RelayResponse
        {
            // One deadline bounds every attempt together: the model's deadline_s, else the sum of
            // the targets' own timeouts (each may use its own in turn, and no more).
            let streaming = client.stream && handler.endpoint.streams
            let budget =
                model.deadline
                ?? targets.reduce(0) { total, target in
                    let config = target.backend.config
                    return total + (streaming ? config.firstByteTimeout : config.requestTimeout)
                }
            let began = NIODeadline.now()
            let deadline = began + TimeAmount(seconds: budget)
            let ownCount = targets.prefix { !$0.isFallback }.count
            var skipped: [String] = []
            var position = 0
            while position < targets.count {
                var target = targets[position]
                position += 1
                // The first target's check needs no second read of the clock.
                guard (position == 1 ? began : NIODeadline.now()) < deadline else { break }
                // An Ollama server whose last health check lacked the model would only answer 404.
                if target.backend.lacksModel(target.upstreamModel) {
                    skipped.append("\(target.backend.name): model not pulled")
                    movedOn = movedOn ?? (target.backend.name, "not_pulled")
                    continue
                }
                if !target.backend.tryAcquire() {
                    let lastOwn = position == ownCount
                    guard lastOwn, record.attempts == 0, model.queueTimeout > 0,
                        let freed = await Self.waitForSlot(
                            among: targets.prefix(ownCount),
                            until: min(deadline, .now() + TimeAmount(seconds: model.queueTimeout))
                        )
                    else {
                        skipped.append("\(target.backend.name): busy")
                        movedOn = movedOn ?? (target.backend.name, "busy")
                        continue
                    }
                    target = freed
                }
                guard target.backend.circuit.allowsRequest() else {
                    target.backend.release()
                    skipped.append("\(target.backend.name): circuit open")
                    movedOn = movedOn ?? (target.backend.name, "circuit_open")
                    continue
                }
                // Spending on fallback targets has its own budget, so a local outage cannot
                // become an unbounded cloud bill.
                var fallbackReservation: Reservation?
                if target.isFallback {
                    let estimate = reservation.tokens
                    switch await handler.gateway.reserveFallback(principal, estimatedTokens: estimate) {
                    case .admitted(let admitted):
                        fallbackReservation = admitted
                    case .rejected(let rejection):
                        target.backend.release()
                        fallbackRejection = rejection
                        handler.gateway.metrics.recordRateLimited(key: principal.name, limit: rejection.limit)
                        skipped.append("\(target.backend.name): fallback_tpm reached")
                        continue
                    case .unavailable:
                        target.backend.release()
                        skipped.append("\(target.backend.name): rate limiter unavailable")
                        continue
                    }
                }
                record.attempts += 1
                if let movedOn {
                    handler.gateway.metrics.recordFallback(
                        model: alias,
                        from: movedOn.from,
                        to: target.backend.name,
                        reason: movedOn.reason
                    )
                    self.movedOn = nil
                }
                record.backend = target.backend.name
                record.upstreamModel = target.upstreamModel
                if let firstCalled, firstCalled != target.backend.name {
                    record.fallbackFrom = firstCalled
                } else {
                    firstCalled = target.backend.name
                }
                do throws(AttemptError) {
                    return try await attempt(
                        target,
                        fallbackReservation: fallbackReservation,
                        deadline: deadline,
                        record: &record
                    )
                } catch {
                    if let fallbackReservation {
                        await handler.gateway.settle(fallbackReservation, usage: nil)
                    }
                    switch error {
                    case .final(let answer):
                        throw answer
                    case .failure(let failure):
                        target.backend.release()
                        target.backend.circuit.recordFailure()
                        lastFailure = failure
                        record.tried.append(failure.describe(backend: target.backend.name))
                        movedOn = (target.backend.name, failure.metricReason)
                    }
                }
            }
            if let fallbackRejection, lastFailure == nil || position >= targets.count {
                throw .rateLimited(fallbackRejection)
            }
            guard let lastFailure else {
                let reasons = skipped.isEmpty ? "the deadline passed" : skipped.joined(separator: "; ")
                throw .upstreamUnavailable(
                    message: "No backend could take the request for model \"\(alias)\": \(reasons).")
            }
            let everyTargetTried = position >= targets.count
            let message = "Every backend called for model \"\(alias)\" failed: \(record.tried.joined(separator: "; "))."
            if lastFailure.isTimeout { throw .upstreamTimeout(message: message, everyTargetTried: everyTargetTried) }
            throw .upstreamFailed(message: message, everyTargetTried: everyTargetTried)
        }

        /// Polls the model's own backends for a free slot until `deadline`.
        private static func waitForSlot(among own: ArraySlice<Target>, until deadline: NIODeadline) async -> Target? {
            while NIODeadline.now() < deadline {
                let byLoad = own.sorted { $0.backend.inFlight < $1.backend.inFlight }
                if let free = byLoad.first(where: { $0.backend.tryAcquire() }) { return free }
                try? await Task.sleep(for: .milliseconds(5))
            }
            return nil
        }

        /// One call to one target. Returns the response to send, throws a failure that moves on
        /// to the next target, or a `RelayError` that ends the request (the upstream rejected it).
        private func attempt(
            _ target: Target,
            fallbackReservation: Reservation?,
            deadline: NIODeadline,
            record: inout AccessRecord
        ) async throws(AttemptError) -> RelayResponse {
            let started = NIODeadline.now()
            let backend = target.backend.config
            let streaming = client.stream && handler.endpoint.streams
            let dialect = UpstreamDialect(backend.type)
            let request: UpstreamRequest
            do {
                request = try dialect.request(
                    endpoint: handler.endpoint,
                    client: client,
                    target: target,
                    clientHeaders: headers,
                    requestID: record.requestID,
                    trace: record.trace
                )
            } catch {
                target.backend.release()
                throw .final(error)
            }
            let ownTimeout = TimeAmount(seconds: streaming ? backend.firstByteTimeout : backend.requestTimeout)
            let exchange = UpstreamExchange(
                pool: target.backend.pool,
                request: request,
                deadline: min(started + ownTimeout, deadline),
                phase: streaming ? target.backend.firstEventWait : target.backend.answerWait
            )
            // A client that leaves ends the upstream call at once: nobody would read the answer.
            handler.watch.onLeave { exchange.cancel(clientLeft: true) }
            defer { handler.watch.onLeave(nil) }
            do {
                guard case .head(let status, let upstreamHeaders) = try await exchange.next() else {
                    throw UpstreamFailure.broken("no response head")
                }
                switch status {
                case 200..<300:
                    target.backend.circuit.recordSuccess()
                case 400, 413, 422:
                    target.backend.circuit.recordSuccess()
                    let body = try await exchange.collectBody(limit: ProxyHandler.maxUpstreamBody)
                    record.upstreamTime = record.upstreamTime + (.now() - started)
                    exchange.cancel()
                    let (message, param) = dialect.errorMessage(
                        body,
                        status: status,
                        upstreamModel: target.upstreamModel,
                        alias: alias
                    )
                    target.backend.release()
                    throw AttemptError.final(.upstreamRejected(status: status, message: message, param: param))
                default:
                    exchange.cancel()
                    throw UpstreamFailure.status(status)
                }
                if streaming {
                    let translator = dialect.streamTranslator(
                        endpoint: handler.endpoint,
                        alias: alias,
                        upstreamModel: target.upstreamModel,
                        client: client,
                        promptEstimate: promptEstimate
                    )
                    return try await StreamForwarder.start(
                        exchange: exchange,
                        started: started,
                        translator: translator,
                        call: self,
                        fallbackReservation: fallbackReservation,
                        target: target,
                        headers: UpstreamHeaders.response(upstreamHeaders),
                        record: &record
                    )
                }
                let body = try await exchange.collectBody(limit: ProxyHandler.maxUpstreamBody)
                record.upstreamTime = record.upstreamTime + (.now() - started)
                exchange.cancel()
                target.backend.release()
                let rewritten = try dialect.answer(body, endpoint: handler.endpoint, alias: alias, client: client)
                record.status = 200
                record.usage = rewritten.usage
                await handler.gateway.settle(reservation, usage: rewritten.usage)
                if let fallbackReservation {
                    await handler.gateway.settle(fallbackReservation, usage: rewritten.usage)
                }
                var fields = UpstreamHeaders.response(upstreamHeaders, contentLength: rewritten.body.count)
                if !fields.contains(.contentType) { fields[.contentType] = "application/json" }
                record.handedOverAt = .now()
                return RelayResponse(status: .ok, headers: fields, body: .bytes(ByteBuffer(bytes: rewritten.body)))
            } catch let failure as UpstreamFailure {
                exchange.cancel()
                record.upstreamTime = record.upstreamTime + (.now() - started)
                if exchange.clientLeft {
                    // Not the backend's failure, and no other target is tried for nobody.
                    target.backend.release()
                    throw .final(.clientDisconnected)
                }
                throw .failure(failure)
            } catch let error as AttemptError {
                throw error
            } catch {
                exchange.cancel()
                record.upstreamTime = record.upstreamTime + (.now() - started)
                throw .failure(.broken("\(error)"))
            }
        }

    }

    /// How an attempt ends when it does not produce a response.
    enum AttemptError: Error {
        /// Try the next target.
        case failure(UpstreamFailure)
        /// End the request with this answer.
        case final(RelayError)
    }
}
