import Logging
import NIOCore
import NIOHTTP1
import RelayHTTP
import ServiceLifecycle

/// Asks every backend with a `health_path` whether it is up, every `health_interval_s`, reads
/// vLLM's own queue length for `busy_when`, and which models an Ollama server has not pulled.
///
/// Only no answer (connection refused or reset, a timeout) and a 5xx fail a check (SPEC §9): a
/// 404 or 405 on `health_path` means the path is wrong, so Relay warns once and from then on asks
/// the API itself (`GET /v1/models`, Ollama's `/api/tags`); any other 4xx counts as up, with one
/// warning per status, since the server answers and requests will show what is wrong.
///
/// A failed check opens the backend's circuit at once; a passed check closes it once the
/// cooldown is over (it is the probe). It reads the gateway's current state on every round, so
/// backends added by a reload are checked too.
struct HealthChecker: Service {
    let gateway: Gateway
    let logger: Logger
    let notes = HealthCheckNotes()

    /// How often the loop looks for backends that are due.
    static let tick = Duration.milliseconds(250)

    package func run() async throws {
        try await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                var due: [String: ContinuousClock.Instant] = [:]
                while !Task.isCancelled {
                    let now = ContinuousClock.now
                    for backend in gateway.state.backends.values where Self.needsChecks(backend.config) {
                        guard due[backend.name].map({ $0 <= now }) ?? true else { continue }
                        due[backend.name] = now + .seconds(backend.config.healthInterval)
                        group.addTask { await check(backend) }
                    }
                    try? await Task.sleep(for: Self.tick)
                }
            }
        }
    }

    static func needsChecks(_ config: BackendConfig) -> Bool {
        config.healthPath != nil || (config.type == .vllm && config.busyWhenWaiting != nil)
    }

    private func check(_ backend: Backend) async {
        if let healthPath = backend.config.healthPath {
            let answer = await probe(backend, healthPath: healthPath)
            if backend.config.type == .ollama { notePulledModels(backend, tagsAnswer: answer.body) }
            if answer.isUp {
                if backend.circuit.recordHealthy() { log("circuit_closed", backend, reason: "health check passed") }
            } else if backend.circuit.trip() {
                log("circuit_open", backend, reason: "health check failed")
            }
        }
        if backend.config.type == .vllm, backend.config.busyWhenWaiting != nil {
            let metrics = await get(backend, path: "/metrics")
            backend.noteUpstreamWaiting(metrics.body.flatMap(VLLMMetrics.requestsWaiting))
        }
    }

    /// Asks `healthPath`, or the API once `healthPath` proved wrong, and logs what is worth
    /// knowing once per backend: a wrong path, a 4xx that may mean a wrong `api_key`.
    private func probe(_ backend: Backend, healthPath: String) async -> HealthAnswer {
        let config = backend.config
        var path = notes.probePath(for: config, healthPath: healthPath)
        var answer = await get(backend, path: path)
        if path == healthPath, answer.saysPathIsWrong {
            let apiPath = HealthAnswer.apiProbePath(for: config.type)
            if notes.notePathIsWrong(config) {
                logger.warning(
                    "health_path_not_found",
                    metadata: [
                        "backend": "\(backend.name)", "health_path": "\(healthPath)",
                        "status": "\(answer.status ?? 0)", "probing": "\(apiPath)",
                    ]
                )
            }
            guard apiPath != healthPath else { return answer }
            path = apiPath
            answer = await get(backend, path: path)
        }
        if let status = answer.rejectedStatus, notes.noteRejected(config, status: status) {
            logger.warning(
                "health_check_rejected",
                metadata: [
                    "backend": "\(backend.name)", "path": "\(path)", "status": "\(status)",
                    "reason": "counted as up: only no answer or a 5xx is down",
                ]
            )
        }
        return answer
    }

    /// Records which of the models the config sends to an Ollama backend its `/api/tags` answer
    /// lacks, so `/readyz` can name them and requests skip it for them. Nothing is known (and
    /// nothing skipped) when the check failed or the health path answers something else.
    private func notePulledModels(_ backend: Backend, tagsAnswer answer: String?) {
        let wanted = OllamaModelCheck.upstreamModels(sentTo: backend.name, in: gateway.state.config)
        let missing = answer.flatMap { OllamaModelCheck.notPulled(wanted, tagsAnswer: Array($0.utf8)) } ?? []
        guard backend.noteModelsNotPulled(missing) else { return }
        if missing.isEmpty {
            guard answer != nil else { return }
            logger.info("models_pulled", metadata: ["backend": "\(backend.name)"])
        } else {
            logger.warning(
                "model_not_pulled",
                metadata: ["backend": "\(backend.name)", "models": "\(missing.joined(separator: ", "))"]
            )
        }
    }

    /// The status, with the body of a 2xx answer; `.none` when no whole answer came.
    private func get(_ backend: Backend, path: String) async -> HealthAnswer {
        var headers = [(name: "host", value: backend.pool.hostHeader)]
        if let authorization = backend.authorization {
            headers.append((name: "authorization", value: authorization))
        }
        let request = UpstreamRequest(method: .GET, path: backend.pool.basePath + path, headers: headers)
        let timeout = TimeAmount(seconds: min(backend.config.healthInterval, 5) + backend.config.connectTimeout)
        let exchange = UpstreamExchange(pool: backend.pool, request: request, timeout: timeout, phase: "health check")
        defer { exchange.cancel() }
        // Shutdown cancels the checks: one in flight ends then, not at its timeout.
        return await withTaskCancellationHandler {
            do {
                guard case .head(let status, _) = try await exchange.next() else { return .none }
                guard (200..<300).contains(status) else { return .answered(status: status, body: nil) }
                let body = try await exchange.collectBody(limit: 4 << 20)
                return .answered(status: status, body: String(decoding: body, as: UTF8.self))
            } catch {
                return .none
            }
        } onCancel: {
            exchange.cancel()
        }
    }

    private func log(_ message: Logger.Message, _ backend: Backend, reason: String) {
        logger.warning(message, metadata: ["backend": "\(backend.name)", "reason": "\(reason)"])
    }
}

/// Reads the queue length from vLLM's Prometheus exposition.
enum VLLMMetrics {
    /// The sum of `vllm:num_requests_waiting` over its series (one per engine and model), or `nil`
    /// when the server does not expose it.
    static func requestsWaiting(_ exposition: String) -> Int? {
        let name = "vllm:num_requests_waiting"
        var total: Double?
        for line in exposition.split(separator: "\n") where line.hasPrefix(name) {
            // The name must end here: `vllm:num_requests_waiting_by_reason` counts the same queue.
            guard let next = line.dropFirst(name.count).first, next == "{" || next == " " else { continue }
            guard let value = line.split(separator: " ").last.flatMap({ Double($0) }) else { continue }
            total = (total ?? 0) + value
        }
        return total.map { Int($0) }
    }
}
