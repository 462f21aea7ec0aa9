/// What one health-check request got, and how Relay reads it (SPEC §9): a 404 or 405 on
/// `health_path` says the path is wrong, not that the backend is down; only no answer at all
/// (connection refused or reset, a timeout) and a 5xx say it is down.
enum HealthAnswer: Sendable, Equatable {
    /// The server answered with `status`; `body` is the text of a 2xx answer.
    case answered(status: Int, body: String?)
    /// No complete answer: the connection failed, broke or timed out.
    case none

    /// Whether the backend is up: it answered, with anything but a 5xx.
    var isUp: Bool { status.map { $0 < 500 } ?? false }

    /// A 404 or 405: the server is there, the path is not one it serves.
    var saysPathIsWrong: Bool { status == 404 || status == 405 }

    /// The answer's status, if one came.
    var status: Int? {
        guard case .answered(let status, _) = self else { return nil }
        return status
    }

    /// A 4xx that counts as up but may mean a misconfiguration (a wrong `api_key`: 401 or 403).
    var rejectedStatus: Int? {
        status.flatMap { (400..<500).contains($0) ? $0 : nil }
    }

    /// The body of a 2xx answer.
    var body: String? {
        guard case .answered(_, let body) = self else { return nil }
        return body
    }

    /// What a backend of `type` is asked instead once its `health_path` proved wrong: the API
    /// itself, which every server of that type serves.
    static func apiProbePath(for type: BackendType) -> String {
        switch type {
        case .ollama: "/api/tags"
        case .vllm, .openai: "/v1/models"
        }
    }
}
