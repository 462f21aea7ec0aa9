import AsyncHTTPClient
import Hummingbird
import NIOCore

/// One proxied request, from the client's headers to the upstream's last byte:
/// auth → body size → body parse → model → scope → limits → targets, in that order.
struct ProxyHandler {
    let gateway: Gateway
    let state: GatewayState
    let endpoint: Endpoint

    /// Largest upstream answer Relay reads whole (non-streamed answers and error bodies).
    static let maxUpstreamBody = 64 * 1024 * 1024

    func handle(_ request: inout Request, record: inout AccessRecord) async throws(RelayError) -> Response {
        guard let principal = state.authenticator.authenticate(authorization: request.headers[.authorization]) else {
            throw .invalidAPIKey
        }
        record.key = principal.name
        let client = try await readBody(&request)
        guard let model = state.config.models[client.model] else { throw .modelNotFound(model: client.model) }
        record.model = model.name
        guard ModelPolicy.allows(principal, model: model.name) else { throw .modelNotAllowed(model: model.name) }
        record.stream = client.stream && endpoint.streams

        let completionBudget = endpoint == .embeddings ? 0 : client.maxTokens ?? state.config.defaultMaxTokens
        let promptEstimate = TokenEstimate.tokens(forBytes: client.promptBytes)
        let reservation: Reservation
        switch await gateway.limiter.reserve(principal, estimatedTokens: promptEstimate + completionBudget) {
        case .admitted(let admitted): reservation = admitted
        case .rejected(let retryAfter, let canEverFit, let limit):
            throw .rateLimited(limit: limit, retryAfterSeconds: retryAfter, canEverFit: canEverFit)
        }

        let targets = TargetPlanner.targets(for: model, backends: state.backends, allowFallback: principal.mayFallBack)
        var call = Call(
            handler: self,
            client: client,
            alias: model.name,
            headers: request.headers,
            reservation: reservation,
            promptEstimate: promptEstimate
        )
        do {
            return try await call.run(targets, record: &record)
        } catch {
            await gateway.limiter.settle(reservation, usage: nil)
            throw error
        }
    }

    private func readBody(_ request: inout Request) async throws(RelayError) -> ClientRequest {
        let limit = state.config.server.maxBodyBytes
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw .requestTooLarge(limit: limit)
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw .requestTooLarge(limit: limit)
        } catch {
            throw .invalidRequest(message: "The request body could not be read.", param: nil)
        }
        do {
            return try ClientRequest(body: Array(buffer.readableBytesView))
        } catch {
            throw .invalidRequest(message: error.message, param: error.param)
        }
    }
}

extension ProxyHandler {
    /// The attempts of one request over its targets, in order, until one answers.
    struct Call {
        let handler: ProxyHandler
        let client: ClientRequest
        let alias: String
        let headers: HTTPFields
        let reservation: Reservation
        let promptEstimate: Int

        private var failures: [String] = []
        private var lastFailure: UpstreamFailure?
        private var firstCalled: String?

        init(
            handler: ProxyHandler,
            client: ClientRequest,
            alias: String,
            headers: HTTPFields,
            reservation: Reservation,
            promptEstimate: Int
        ) {
            self.handler = handler
            self.client = client
            self.alias = alias
            self.headers = headers
            self.reservation = reservation
            self.promptEstimate = promptEstimate
        }

        mutating func run(_ targets: [Target], record: inout AccessRecord) async throws(RelayError) -> Response {
            var skipped: [String] = []
            for target in targets {
                guard target.backend.tryAcquire() else {
                    skipped.append("\(target.backend.name): busy")
                    continue
                }
                record.attempts += 1
                record.backend = target.backend.name
                record.upstreamModel = target.upstreamModel
                if let firstCalled, firstCalled != target.backend.name {
                    record.fallbackFrom = firstCalled
                } else {
                    firstCalled = target.backend.name
                }
                do throws(AttemptError) {
                    return try await attempt(target, record: &record)
                } catch {
                    switch error {
                    case .final(let answer):
                        throw answer
                    case .failure(let failure):
                        target.backend.release()
                        lastFailure = failure
                        failures.append(failure.describe(backend: target.backend.name))
                    }
                }
            }
            guard let lastFailure else {
                throw .upstreamUnavailable(
                    message: "No backend could take the request: \((skipped).joined(separator: "; "))."
                )
            }
            let message = "Every backend failed: \(failures.joined(separator: "; "))."
            if lastFailure.isTimeout { throw .upstreamTimeout(message: message, everyTargetTried: true) }
            throw .upstreamFailed(message: message, everyTargetTried: true)
        }

        /// One call to one target. Returns the response to send, throws a failure that moves on
        /// to the next target, or a `RelayError` that ends the request (the upstream rejected it).
        private func attempt(_ target: Target, record: inout AccessRecord) async throws(AttemptError)
            -> Response
        {
            let backend = target.backend.config
            let streaming = client.stream && handler.endpoint.streams
            let request = OpenAIUpstream.request(
                endpoint: handler.endpoint,
                client: client,
                target: target,
                clientHeaders: headers,
                requestID: record.requestID
            )
            let exchange = UpstreamExchange(
                client: target.backend.client,
                request: request,
                timeout: TimeAmount(seconds: streaming ? backend.firstByteTimeout : backend.requestTimeout),
                phase: streaming
                    ? "after \(Self.seconds(backend.firstByteTimeout)) waiting for the first event"
                    : "after \(Self.seconds(backend.requestTimeout)) waiting for the answer"
            )
            do {
                guard case .head(let status, let upstreamHeaders) = try await exchange.next() else {
                    throw UpstreamFailure.broken("no response head")
                }
                switch status {
                case 200..<300:
                    break
                case 400, 413, 422:
                    let body = try await exchange.collectBody(limit: ProxyHandler.maxUpstreamBody)
                    exchange.cancel()
                    let (message, param) = OpenAIUpstream.errorMessage(
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
                let responseHeaders = OpenAIUpstream.responseHeaders(upstreamHeaders)
                if streaming {
                    return try await StreamForwarder.start(
                        exchange: exchange,
                        call: self,
                        target: target,
                        headers: responseHeaders,
                        record: &record
                    )
                }
                let body = try await exchange.collectBody(limit: ProxyHandler.maxUpstreamBody)
                exchange.cancel()
                target.backend.release()
                let rewritten = OpenAIResponseRewriter.rewrite(
                    body,
                    alias: alias,
                    embeddingsAsBase64: handler.endpoint == .embeddings && client.wantsBase64
                )
                record.status = 200
                record.usage = rewritten.usage
                await handler.gateway.limiter.settle(reservation, usage: rewritten.usage)
                var fields = responseHeaders
                fields[.contentType] = fields[.contentType] ?? "application/json"
                handler.gateway.decorate(&fields, record: record)
                return Response(
                    status: .ok, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: rewritten.body)))
            } catch let failure as UpstreamFailure {
                exchange.cancel()
                throw .failure(failure)
            } catch let error as AttemptError {
                throw error
            } catch {
                exchange.cancel()
                throw .failure(.broken("\(error)"))
            }
        }

        static func seconds(_ value: Double) -> String {
            value == value.rounded() ? "\(Int(value))s" : "\(value)s"
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
