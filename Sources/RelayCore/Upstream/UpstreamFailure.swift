/// Why a call to one target did not produce an answer; each makes Relay try the next target.
public enum UpstreamFailure: Error, Equatable {
    case connect(String)
    case timeout(String)
    case status(Int)
    case broken(String)

    var isTimeout: Bool {
        if case .timeout = self { return true }
        return false
    }

    /// For messages and logs; names the backend, never its upstream model or key.
    func describe(backend: String) -> String {
        switch self {
        case .connect(let reason): "\(backend): cannot connect (\(reason))"
        case .timeout(let phase): "\(backend): timed out \(phase)"
        case .status(let status): "\(backend): answered \(status)"
        case .broken(let reason): "\(backend): \(reason)"
        }
    }
}
