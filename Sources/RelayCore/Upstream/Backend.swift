import NIOConcurrencyHelpers
import NIOCore
import RelayHTTP
import RelayWire
import Synchronization

/// A configured backend at run time: its pool of connections and its count of requests in flight.
final class Backend: Sendable {
    let config: BackendConfig
    let pool: UpstreamConnectionPool
    /// `Bearer <api_key>`, sent instead of the client's key.
    let authorization: String?
    /// `forward_headers`, as requests look them up.
    let forwardedHeaders: ForwardedHeaderNames
    private let inFlightCount = Atomic<Int>(0)
    /// Requests queued inside the server, from its own `/metrics` (vLLM); -1 until known.
    private let upstreamWaiting = Atomic<Int>(-1)
    /// Upstream models this (Ollama) server said it has not pulled, at its last health check.
    private let notPulled = NIOLockedValueBox<[String]>([])
    /// Whether `notPulled` is non-empty, so requests read one atomic in the usual case.
    private let someNotPulled = Atomic<Bool>(false)
    let circuit: CircuitBreaker
    /// The queues of the models this backend serves as an own backend: a slot it frees is
    /// offered to their waiters first.
    private let queues = NIOLockedValueBox<[any SlotWaiters]>([])
    /// Built once per endpoint, in `Endpoint.allCases`' order: read by position, not hashed.
    private let upstreamPaths: [String]
    /// What a call waits for, as its timeout's message words it; made once, not per call.
    let firstEventWait: String
    let answerWait: String
    let silenceWait: String

    /// - Parameter circuit: the circuit of the backend this one replaces on a reload, so its
    ///   state is kept by name.
    init(config: BackendConfig, eventLoopGroup: any EventLoopGroup, circuit: CircuitBreaker? = nil) {
        self.config = config
        let pool = UpstreamConnectionPool(
            baseURL: config.baseURL,
            trustRoots: config.caBundle?.certificates,
            connectTimeout: TimeAmount(seconds: config.connectTimeout),
            eventLoopGroup: eventLoopGroup
        )
        self.pool = pool
        self.upstreamPaths = Endpoint.allCases.map { endpoint in
            pool.basePath + (config.type == .ollama ? endpoint.ollamaPath : endpoint.rawValue)
        }
        self.firstEventWait = "after \(Self.seconds(config.firstByteTimeout)) waiting for the first event"
        self.answerWait = "after \(Self.seconds(config.requestTimeout)) waiting for the answer"
        self.silenceWait = "after \(Self.seconds(config.idleTimeout)) of silence inside the stream"
        self.authorization = config.apiKey.map { "Bearer \($0)" }
        self.forwardedHeaders = ForwardedHeaderNames(config.forwardHeaders)
        self.circuit =
            circuit ?? CircuitBreaker(failures: config.circuit.failures, cooldownSeconds: config.circuit.cooldown)
    }

    package var name: String { config.name }

    var inFlight: Int { inFlightCount.load(ordering: .relaxed) }

    /// Requests waiting inside the server as it last reported them, if it does.
    var waitingUpstream: Int? {
        let value = upstreamWaiting.load(ordering: .relaxed)
        return value < 0 ? nil : value
    }

    func noteUpstreamWaiting(_ count: Int?) {
        let wasBusy = isBusyUpstream
        upstreamWaiting.store(count ?? -1, ordering: .relaxed)
        // The server's queue drained: its slots are free again for the requests Relay queues.
        if wasBusy && !isBusyUpstream { offerSlots() }
    }

    /// The upstream models this server has not pulled, as its last health check found; empty when
    /// all are there or nothing is known.
    var modelsNotPulled: [String] { notPulled.withLockedValue { $0 } }

    /// Whether the last health check found `model` missing here: a call would only get a 404.
    func lacksModel(_ model: String) -> Bool {
        guard someNotPulled.load(ordering: .relaxed) else { return false }
        return notPulled.withLockedValue { $0.contains(model) }
    }

    /// Records what the last health check found missing; `true` when that changed.
    func noteModelsNotPulled(_ models: [String]) -> Bool {
        notPulled.withLockedValue { current in
            guard current != models else { return false }
            current = models
            someNotPulled.store(!models.isEmpty, ordering: .relaxed)
            return true
        }
    }

    /// Busy as the server itself reports it (`busy_when`), whatever this replica sends it.
    var isBusyUpstream: Bool {
        guard let threshold = config.busyWhenWaiting, let waiting = waitingUpstream else { return false }
        return waiting >= threshold
    }

    /// Takes a slot if the backend is below `max_concurrency`; `false` means it is busy.
    func tryAcquire() -> Bool {
        guard !isBusyUpstream else { return false }
        var current = inFlightCount.load(ordering: .relaxed)
        while current < config.maxConcurrency {
            let (exchanged, original) = inFlightCount.compareExchange(
                expected: current,
                desired: current + 1,
                ordering: .relaxed
            )
            if exchanged { return true }
            current = original
        }
        return false
    }

    func release() {
        inFlightCount.subtract(1, ordering: .relaxed)
        offerSlots()
    }

    private func offerSlots() {
        for queue in queues.withLockedValue({ $0 }) where queue.hasWaiters { queue.offer() }
    }

    /// The queues a freed slot is offered to (the config's models that list this backend).
    func serveQueues(_ models: [any SlotWaiters]) {
        queues.withLockedValue { $0 = models }
    }

    /// Where `endpoint` is sent on this backend, in the API it speaks.
    func upstreamPath(for endpoint: Endpoint) -> String {
        upstreamPaths[endpoint.position]
    }

    /// `30s`, `2.5s`.
    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value))s" : "\(value)s"
    }

    func shutdown() async {
        await pool.shutdown()
    }
}
