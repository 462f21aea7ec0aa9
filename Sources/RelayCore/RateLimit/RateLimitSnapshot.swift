import HTTPTypes

/// The state of a key's windows after a decision: what the `x-ratelimit-*` headers tell.
public struct RateLimitSnapshot: Sendable, Equatable {
    /// `rpm`; `nil` when the key has no request limit.
    public var requests: WindowSnapshot?
    /// `tpm` (or `fallback_tpm` for a fallback reservation); `nil` when unlimited.
    public var tokens: WindowSnapshot?

    public init(requests: WindowSnapshot? = nil, tokens: WindowSnapshot? = nil) {
        self.requests = requests
        self.tokens = tokens
    }

    /// `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`, for the windows that have a limit.
    public var headerFields: [HTTPField] {
        var fields: [HTTPField] = []
        fields.reserveCapacity(6)
        if let requests { requests.appendHeaderFields(names: .requests, to: &fields) }
        if let tokens { tokens.appendHeaderFields(names: .tokens, to: &fields) }
        return fields
    }
}

/// One limit's window: its size, what is left of it, and when it is whole again.
public struct WindowSnapshot: Sendable, Equatable {
    public var limit: Int
    public var remaining: Int
    /// Time until everything charged in the window has aged out.
    public var reset: Duration

    public init(limit: Int, remaining: Int, reset: Duration) {
        self.limit = limit
        self.remaining = remaining
        self.reset = reset
    }

    init(limit: Int, used: Int, resetMilliseconds: Int64) {
        self.init(limit: limit, remaining: max(0, limit - used), reset: .milliseconds(max(0, resetMilliseconds)))
    }

    func appendHeaderFields(names: HeaderNames, to fields: inout [HTTPField]) {
        fields.append(HTTPField(name: names.limit, value: String(limit)))
        fields.append(HTTPField(name: names.remaining, value: String(remaining)))
        fields.append(HTTPField(name: names.reset, value: RateLimitDuration.format(reset)))
    }

    /// One window's three header names, made once rather than per response.
    struct HeaderNames {
        let limit: HTTPField.Name
        let remaining: HTTPField.Name
        let reset: HTTPField.Name

        private init(suffix: String) {
            limit = HTTPField.Name("x-ratelimit-limit-\(suffix)")!
            remaining = HTTPField.Name("x-ratelimit-remaining-\(suffix)")!
            reset = HTTPField.Name("x-ratelimit-reset-\(suffix)")!
        }

        static let requests = HeaderNames(suffix: "requests")
        static let tokens = HeaderNames(suffix: "tokens")
    }
}
