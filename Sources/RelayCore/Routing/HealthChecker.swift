import AsyncHTTPClient
import Logging
import NIOCore
import ServiceLifecycle

/// Asks every backend with a `health_path` whether it is up, every `health_interval_s`, and
/// reads vLLM's own queue length for `busy_when`.
///
/// A failed check opens the backend's circuit at once; a passed check closes it once the
/// cooldown is over (it is the probe). It reads the gateway's current state on every round, so
/// backends added by a reload are checked too.
struct HealthChecker: Service {
    let gateway: Gateway
    let logger: Logger

    /// How often the loop looks for backends that are due.
    static let tick = Duration.milliseconds(250)

    func run() async throws {
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
        if let path = backend.config.healthPath {
            let healthy = await get(backend, path: path) != nil
            if healthy {
                if backend.circuit.recordHealthy() { log("circuit_closed", backend, reason: "health check passed") }
            } else if backend.circuit.trip() {
                log("circuit_open", backend, reason: "health check failed")
            }
        }
        if backend.config.type == .vllm, backend.config.busyWhenWaiting != nil {
            let metrics = await get(backend, path: "/metrics")
            backend.noteUpstreamWaiting(metrics.flatMap(VLLMMetrics.requestsWaiting))
        }
    }

    /// The body of a 2xx answer, or `nil` for anything else.
    private func get(_ backend: Backend, path: String) async -> String? {
        var request = HTTPClientRequest(url: backend.config.baseURL + path)
        if let authorization = backend.authorization {
            request.headers.add(name: "authorization", value: authorization)
        }
        let timeout = TimeAmount(seconds: min(backend.config.healthInterval, 5) + backend.config.connectTimeout)
        do {
            let response = try await backend.client.execute(request, timeout: timeout)
            let body = try await response.body.collect(upTo: 4 << 20)
            return (200..<300).contains(response.status.code) ? String(buffer: body) : nil
        } catch {
            return nil
        }
    }

    private func log(_ message: Logger.Message, _ backend: Backend, reason: String) {
        logger.warning(message, metadata: ["backend": "\(backend.name)", "reason": "\(reason)"])
    }
}

/// Reads the queue length from vLLM's Prometheus exposition.
enum VLLMMetrics {
    /// The sum of `vllm:num_requests_waiting` over its series (one per model served), or `nil`
    /// when the server does not expose it.
    static func requestsWaiting(_ exposition: String) -> Int? {
        var total: Double?
        for line in exposition.split(separator: "\n") where line.hasPrefix("vllm:num_requests_waiting") {
            guard let value = line.split(separator: " ").last.flatMap({ Double($0) }) else { continue }
            total = (total ?? 0) + value
        }
        return total.map { Int($0) }
    }
}
