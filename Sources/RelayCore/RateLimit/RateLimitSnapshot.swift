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
    public var headerFields: [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = []
        if let requests { fields += requests.headerFields(suffix: "requests") }
        if let tokens { fields += tokens.headerFields(suffix: "tokens") }
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

    func headerFields(suffix: String) -> [(name: String, value: String)] {
        [
            ("x-ratelimit-limit-\(suffix)", String(limit)),
            ("x-ratelimit-remaining-\(suffix)", String(remaining)),
            ("x-ratelimit-reset-\(suffix)", RateLimitDuration.format(reset)),
        ]
    }
}
