/// Why a call to one target did not produce an answer; each makes Relay try the next target.
package enum UpstreamFailure: Error, Equatable {
    case connect(String)
    case timeout(String)
    case status(Int)
    case broken(String)

    package var isTimeout: Bool {
        if case .timeout = self { return true }
        return false
    }

    /// The `reason` label of `relay_fallbacks_total`.
    package var metricReason: String {
        switch self {
        case .connect: "error"
        case .timeout: "timeout"
        case .status(let status) where status >= 500: "status_5xx"
        case .status(let status) where status == 429: "status_429"
        case .status: "status_4xx"
        case .broken: "error"
        }
    }

    /// For messages and logs; names the backend, never its upstream model or key.
    package func describe(backend: String) -> String {
        switch self {
        case .connect(let reason): "\(backend): cannot connect (\(reason))"
        case .timeout(let phase): "\(backend): timed out \(phase)"
        case .status(let status): "\(backend): answered \(status)"
        case .broken(let reason): "\(backend): \(reason)"
        }
    }
}
