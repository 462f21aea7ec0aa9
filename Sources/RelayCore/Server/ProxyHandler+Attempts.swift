import HTTPTypes
import NIOCore
import NIOPosix
import RelayHTTP
import RelayWire

extension ProxyHandler {
    /// The attempts of one request over its targets, in order, until one answers.
    struct Attempts {
        let handler: ProxyHandler
        /// Holds the slot of the attempt in progress and the reservations.
        let call: CallOwner
        let principal: Principal
        let client: ClientRequest
        let alias: String
        let headers: HTTPFields
        let reservation: Reservation
        let promptEstimate: Int
        /// A Responses request's conversation: what it continues, and where its response is kept.
        let turn: ResponsesTurn?

        private var lastFailure: UpstreamFailure?
        private var fallbackRejection: RateLimitRejection?
        /// A priced target was skipped because the key's budget is spent: seconds until it resets.
        private var budgetSpentFor: Int?
        /// The target Relay last moved on from, and why: counted as a fallback once another is called.
        private var movedOn: (from: String, reason: String)?
        private var firstCalled: String?

        init(
            handler: ProxyHandler,
            call: CallOwner,
            principal: Principal,
            client: ClientRequest,
            alias: String,
            headers: HTTPFields,
            reservation: Reservation,
            promptEstimate: Int,
            turn: ResponsesTurn? = nil
        ) {
            self.handler = handler
            self.call = call
            self.principal = principal
            self.client = client
            self.alias = alias
            self.headers = headers
            self.reservation = reservation
            self.promptEstimate = promptEstimate
            self.turn = turn
        }

        /// Tries the targets in order until one answers. A busy backend or one whose circuit is
        /// open is skipped (not an attempt); when every own backend is busy, the request waits in
        /// the model's queue up to `queue_timeout_s` for a slot before it spills over to the
        /// fallbacks. While others wait, a new request queues behind them.
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
            let queue = handler.state.queues[model.name]
            let othersWaiting = queue?.hasWaiters ?? false
            var skipped: [String] = []
            var cappedOwn = false
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
                if (othersWaiting && !target.isFallback) || !target.backend.tryAcquire() {
                    // A server that reports its own long queue (`busy_when`) queues already:
                    // waiting in Relay's queue in front of it would only hide that, so only a
                    // reached `max_concurrency` (or others waiting) makes the request queue.
                    cappedOwn = cappedOwn || !target.backend.isBusyUpstream
                    let lastOwn = position == ownCount
                    guard lastOwn, cappedOwn, record.attempts == 0, model.queueTimeout > 0, let queue else {
                        skipped.append("\(target.backend.name): busy")
                        movedOn = movedOn ?? (target.backend.name, "busy")
                        continue
                    }
                    let waitStarted = NIODeadline.now()
                    let outcome = await queue.wait(
                        priority: principal.priority,
                        limit: model.maxQueue,
                        until: min(deadline, waitStarted + TimeAmount(seconds: model.queueTimeout)),
                        on: MultiThreadedEventLoopGroup.currentEventLoop ?? target.backend.pool.eventLoopForCall(),
                        watch: handler.watch
                    )
                    handler.gateway.metrics.recordQueueWait(model: alias, waited: .now() - waitStarted)
                    switch outcome {
                    case .slot(let backend):
                        target = Target(
                            backend: backend, upstreamModel: model.upstreamModel, isFallback: false,
                            price: backend.config.price ?? model.price)
                    case .timedOut, .full:
                        let why = outcome.isFull ? "queue full (max_queue)" : "busy for queue_timeout_s"
                        skipped.append("\(target.backend.name): \(why)")
                        movedOn = movedOn ?? (target.backend.name, "busy")
                        continue
                    case .left:
                        throw .clientDisconnected
                    }
                }
                let admission = target.backend.circuit.admit()
                guard admission != .refused else {
                    target.backend.release()
                    skipped.append("\(target.backend.name): circuit open")
                    movedOn = movedOn ?? (target.backend.name, "circuit_open")
                    continue
                }
                call.take(target.backend, admission: admission)
                // Spending on fallback targets has its own budget, so a local outage cannot
                // become an unbounded cloud bill.
                var fallbackReservation: Reservation?
                if target.isFallback {
                    let estimate = reservation.tokens
                    switch await handler.gateway.reserveFallback(principal, estimatedTokens: estimate) {
                    case .admitted(let admitted):
                        fallbackReservation = admitted
                        call.hold(admitted)
                    case .rejected(let rejection):
                        call.releaseSlot()
                        fallbackRejection = rejection
                        handler.gateway.metrics.recordRateLimited(key: principal.name, limit: rejection.limit.rawValue)
                        skipped.append("\(target.backend.name): fallback_tpm reached")
                        continue
                    case .unavailable:
                        call.releaseSlot()
                        skipped.append("\(target.backend.name): rate limiter unavailable")
                        continue
                    }
                }
                // A priced target's spend, against the key's budget where one applies.
                var spendHold: QuotaHold?
                if target.price != nil {
                    switch await handler.gateway.reserveSpend(
                        principal, target: target, model: alias, promptTokens: promptEstimate,
                        completionTokens: max(0, reservation.tokens - promptEstimate))
                    {
                    case .hold(let hold)?:
                        spendHold = hold
                        call.hold(quota: hold)
                    case .overBudget(let retryAfter)?:
                        call.releaseSlot()
                        if let fallbackReservation { await call.refund(fallbackReservation) }
                        budgetSpentFor = retryAfter
                        skipped.append("\(target.backend.name): budget spent")
                        movedOn = movedOn ?? (target.backend.name, "budget")
                        continue
                    case nil:
                        break
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
                    return try await attempt(target, deadline: deadline, record: &record)
                } catch {
                    call.releaseSlot()
                    if let fallbackReservation { await call.refund(fallbackReservation) }
                    if let spendHold { await call.refundLast(quota: spendHold) }
                    switch error {
                    case .final(let answer):
                        throw answer
                    case .failure(let failure):
                        lastFailure = failure
                        record.tried.append(failure.describe(backend: target.backend.name))
                        movedOn = (target.backend.name, failure.metricReason)
                    }
                }
            }
            if let fallbackRejection, lastFailure == nil || position >= targets.count {
                throw .rateLimited(fallbackRejection)
            }
            // With `applies_to: all` a spent budget is the key's answer; with `fallback` it only
            // closed the cloud path, and the request ends as any other that no backend took.
            if let budgetSpentFor, lastFailure == nil, principal.budget?.appliesTo == .all {
                throw .budgetExceeded(retryAfterSeconds: budgetSpentFor)
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

        /// One call to one target, whose slot `call` holds. Returns the response to send, throws
        /// a failure that moves on to the next target, or a `RelayError` that ends the request.
        /// The slot is the caller's to release when this throws; an answer releases it itself
        /// (a stream when its upstream ends).
        private func attempt(
            _ target: Target,
            deadline: NIODeadline,
            record: inout AccessRecord
        ) async throws(AttemptError) -> RelayResponse {
            let started = NIODeadline.now()
            let backend = target.backend.config
            let streaming = client.stream && handler.endpoint.streams
            let dialect = UpstreamDialect(endpoint: handler.endpoint, backend: backend)
            let request: UpstreamRequest
            do {
                request = try dialect.request(
                    endpoint: handler.endpoint,
                    client: client,
                    conversation: turn?.previous?.items,
                    target: target,
                    clientHeaders: headers,
                    requestID: record.requestID,
                    trace: record.trace
                )
            } catch {
                throw .final(.invalidRequest(message: error.message, param: error.param))
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
                    call.recordOutcome(success: true)
                case 400, 413, 422:
                    call.recordOutcome(success: true)
                    let body = try await exchange.collectBody(limit: ProxyHandler.maxUpstreamBody)
                    record.upstreamTime = record.upstreamTime + (.now() - started)
                    exchange.cancel()
                    let (message, param) = dialect.errorMessage(
                        body,
                        status: status,
                        upstreamModel: target.upstreamModel,
                        alias: alias
                    )
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
                        call: call,
                        watch: handler.watch,
                        target: target,
                        headers: UpstreamHeaders.response(upstreamHeaders),
                        keeper: turn.map {
                            ResponsesKeeper(turn: $0, nativeBackend: ProxyHandler.nativeBackend(target, dialect))
                        },
                        record: &record
                    )
                }
                let body = try await exchange.collectBody(limit: ProxyHandler.maxUpstreamBody)
                record.upstreamTime = record.upstreamTime + (.now() - started)
                exchange.cancel()
                // A 200 that is not an answer is the backend's failure, like any other.
                let rewritten = try dialect.answer(body, endpoint: handler.endpoint, alias: alias, client: client)
                call.releaseSlot()
                if let turn, let response = rewritten.response {
                    record.error = await turn.keep(response, nativeBackend: ProxyHandler.nativeBackend(target, dialect))
                }
                record.status = 200
                record.usage = rewritten.usage
                await call.settle(rewritten.usage.map(CallOwner.Charge.usage) ?? .refund)
                var fields = UpstreamHeaders.response(upstreamHeaders, contentLength: rewritten.body.count)
                if !fields.contains(.contentType) { fields[.contentType] = "application/json" }
                record.handedOverAt = .now()
                return RelayResponse(status: .ok, headers: fields, body: .bytes(ByteBuffer(bytes: rewritten.body)))
            } catch let failure as UpstreamFailure {
                exchange.cancel()
                record.upstreamTime = record.upstreamTime + (.now() - started)
                if exchange.clientLeft {
                    // Not the backend's failure, and no other target is tried for nobody. The
                    // backend was sent the prompt, and read it: that much is charged.
                    await call.settle(.prompt)
                    throw .final(.clientDisconnected)
                }
                call.recordOutcome(success: false)
                throw .failure(failure)
            } catch let error as AttemptError {
                throw error
            } catch {
                exchange.cancel()
                record.upstreamTime = record.upstreamTime + (.now() - started)
                call.recordOutcome(success: false)
                throw .failure(.broken("\(error)"))
            }
        }

    }

    /// The backend a Responses answer came from in its own API, where its follow-ups go.
    private static func nativeBackend(_ target: Target, _ dialect: UpstreamDialect) -> String? {
        dialect == .responsesNative ? target.backend.name : nil
    }

    /// How an attempt ends when it does not produce a response.
    enum AttemptError: Error {
        /// Try the next target.
        case failure(UpstreamFailure)
        /// End the request with this answer.
        case final(RelayError)
    }
}
