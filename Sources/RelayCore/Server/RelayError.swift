import HTTPTypes
import NIOCore
import RelayWire

/// Every way a request can end in an error, each mapped to one OpenAI-shaped answer.
enum RelayError: Error, Equatable {
    case invalidRequest(message: String, param: String?)
    case invalidAPIKey
    case modelNotAllowed(model: String)
    case modelNotFound(model: String)
    case requestTooLarge(limit: Int)
    case routeNotFound(path: String)
    case rateLimited(RateLimitRejection)
    /// Redis cannot be reached and `rate_limit_failure_mode` is `closed`.
    case rateLimiterUnavailable
    case methodNotAllowed
    /// An upstream rejected the request itself (400, 413, 422): its message, with the alias put back.
    case upstreamRejected(status: Int, message: String, param: String?)
    /// The last target called failed.
    case upstreamFailed(message: String, everyTargetTried: Bool)
    /// No target could be called.
    case upstreamUnavailable(message: String)
    /// The last target called timed out.
    case upstreamTimeout(message: String, everyTargetTried: Bool)
    /// The client closed its connection before the answer: logged, never sent.
    case clientDisconnected
    /// No stored response has this id for this key (SPEC §8): another key's is not found either.
    case responseNotFound(id: String)
    /// The store of Responses state (Redis) cannot be reached.
    case responseStoreUnavailable
    /// A key's quota (`requests_per_day`, ...) is used up until its window resets (SPEC §10).
    case quotaExceeded(quota: String, retryAfterSeconds: Int)
    /// A key's budget (`applies_to: all`) is spent until the month ends (SPEC §10).
    case budgetExceeded(retryAfterSeconds: Int)

    var status: HTTPResponse.Status {
        switch self {
        case .invalidRequest: .badRequest
        case .invalidAPIKey: .unauthorized
        case .modelNotAllowed: .forbidden
        case .modelNotFound, .routeNotFound, .responseNotFound: .notFound
        case .requestTooLarge: .contentTooLarge
        case .methodNotAllowed: .methodNotAllowed
        case .rateLimited, .quotaExceeded, .budgetExceeded: .tooManyRequests
        case .upstreamRejected(let status, _, _): HTTPResponse.Status(code: status)
        case .upstreamFailed: .badGateway
        case .upstreamUnavailable, .rateLimiterUnavailable, .responseStoreUnavailable: .serviceUnavailable
        case .upstreamTimeout: .gatewayTimeout
        // nginx's code for a request whose client left.
        case .clientDisconnected: HTTPResponse.Status(code: 499, reasonPhrase: "Client Closed Request")
        }
    }

    var type: String {
        switch self {
        case .invalidAPIKey, .invalidRequest, .modelNotFound, .requestTooLarge, .routeNotFound, .methodNotAllowed,
            .upstreamRejected, .clientDisconnected, .responseNotFound:
            "invalid_request_error"
        case .modelNotAllowed: "permission_error"
        case .rateLimited, .quotaExceeded, .budgetExceeded: "rate_limit_error"
        case .upstreamFailed, .upstreamUnavailable, .upstreamTimeout, .rateLimiterUnavailable,
            .responseStoreUnavailable:
            "api_error"
        }
    }

    var code: String? {
        switch self {
        case .invalidRequest, .upstreamRejected, .methodNotAllowed: nil
        case .invalidAPIKey: "invalid_api_key"
        case .modelNotAllowed: "model_not_allowed"
        case .modelNotFound: "model_not_found"
        case .requestTooLarge: "request_too_large"
        case .routeNotFound: "unknown_url"
        case .rateLimited: "rate_limit_exceeded"
        case .rateLimiterUnavailable: "rate_limiter_unavailable"
        case .upstreamFailed: "upstream_error"
        case .upstreamUnavailable: "upstream_unavailable"
        case .upstreamTimeout: "upstream_timeout"
        case .clientDisconnected: "client_disconnected"
        case .responseNotFound: "response_not_found"
        case .responseStoreUnavailable: "response_store_unavailable"
        case .quotaExceeded: "quota_exceeded"
        case .budgetExceeded: "budget_exceeded"
        }
    }

    var param: String? {
        switch self {
        case .invalidRequest(_, let param), .upstreamRejected(_, _, let param): param
        case .modelNotAllowed, .modelNotFound: "model"
        default: nil
        }
    }

    var message: String {
        switch self {
        case .invalidRequest(let message, _): message
        case .invalidAPIKey: "Incorrect or missing API key. Send it as \"Authorization: Bearer <key>\"."
        case .modelNotAllowed(let model): "This API key may not use the model \(Self.quoted(model))."
        case .modelNotFound(let model): "The model \(Self.quoted(model)) does not exist."
        case .requestTooLarge(let limit): "The request body is larger than the limit of \(limit) bytes."
        case .routeNotFound(let path): "Unknown request URL: \(Self.quoted(path))."
        case .methodNotAllowed: "Method not allowed for this URL."
        case .rateLimited(let rejection):
            rejection.canEverFit
                ? "Rate limit reached (\(rejection.limit.rawValue)); retry in \(rejection.retryAfterSeconds)s."
                : "This request is larger than the key's \(rejection.limit.rawValue) limit allows; it can never be admitted."
        case .rateLimiterUnavailable:
            "The rate limiter's store cannot be reached and the gateway is configured to refuse requests then."
        case .upstreamRejected(_, let message, _): message
        case .upstreamFailed(let message, _), .upstreamUnavailable(let message), .upstreamTimeout(let message, _):
            message
        case .clientDisconnected: "client disconnected"
        case .responseNotFound(let id): "Response with id \(Self.quoted(id)) not found."
        case .responseStoreUnavailable: "The store of stored responses cannot be reached; retry shortly."
        case .quotaExceeded(let quota, let retryAfter):
            "This key's \(quota) quota is used up; it resets in \(retryAfter)s."
        case .budgetExceeded(let retryAfter):
            "This key's monthly budget is spent; it resets in \(retryAfter)s."
        }
    }

    /// Final 5xx answers after every target was tried tell SDKs not to retry and multiply load.
    var shouldNotRetry: Bool {
        switch self {
        case .upstreamFailed(_, let everyTargetTried), .upstreamTimeout(_, let everyTargetTried): everyTargetTried
        // A window that resets in hours is no reason to retry in seconds.
        case .upstreamUnavailable, .quotaExceeded, .budgetExceeded: true
        case .rateLimited(let rejection): !rejection.canEverFit
        default: false
        }
    }

    /// `{"error": {"message": ..., "type": ..., "param": ..., "code": ...}}`
    var body: [UInt8] {
        OpenAIErrorBody.encode(message: message, type: type, param: param, code: code)
    }

    /// The answer's status on `api`: Anthropic's Messages API says an overloaded service with
    /// its own 529.
    func status(for api: ClientAPI) -> HTTPResponse.Status {
        if api == .messages, case .upstreamUnavailable = self {
            return HTTPResponse.Status(code: 529, reasonPhrase: "Overloaded")
        }
        return status
    }

    /// The error body in `api`'s own shape: OpenAI's, or on the Messages API Anthropic's
    /// `{"type": "error", "error": {"type": ..., "message": ...}}`.
    func body(for api: ClientAPI) -> [UInt8] {
        api == .messages ? MessagesErrorBody.bytes(type: messagesType, message: message) : body
    }

    /// Anthropic's name for the error.
    var messagesType: String {
        switch self {
        case .invalidAPIKey: "authentication_error"
        case .modelNotAllowed: "permission_error"
        case .modelNotFound, .routeNotFound, .responseNotFound: "not_found_error"
        case .requestTooLarge: "request_too_large"
        case .rateLimited, .quotaExceeded, .budgetExceeded: "rate_limit_error"
        case .upstreamUnavailable: "overloaded_error"
        case .upstreamTimeout: "timeout_error"
        case .upstreamFailed, .rateLimiterUnavailable, .responseStoreUnavailable: "api_error"
        case .invalidRequest, .methodNotAllowed, .clientDisconnected: "invalid_request_error"
        case .upstreamRejected(let status, _, _): status == 413 ? "request_too_large" : "invalid_request_error"
        }
    }

    /// Client input echoed in a message is cut short: a 10 KB model name makes no better error.
    private static func quoted(_ value: String) -> String {
        value.count > 200 ? "\(value.prefix(200))…" : value
    }
}
