/// The state of a key's windows after a decision: what the `x-ratelimit-*` headers tell.
package struct RateLimitSnapshot: Sendable, Equatable {
    /// `rpm`; `nil` when the key has no request limit.
    package var requests: WindowSnapshot?
    /// `tpm` (or `fallback_tpm` for a fallback reservation); `nil` when unlimited.
    package var tokens: WindowSnapshot?

    package init(requests: WindowSnapshot? = nil, tokens: WindowSnapshot? = nil) {
        self.requests = requests
        self.tokens = tokens
    }

    /// `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`, for the windows that have a limit:
    /// head lines, `name: value` and CRLF each, into room for `mostHeadBytes`.
    package func putHeadLines(into out: inout RawByteWriter) {
        requests?.putHeadLines(named: .requests, into: &out)
        tokens?.putHeadLines(named: .tokens, into: &out)
    }

    /// The same windows as Anthropic's `anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}`
    /// head lines, for answers on the Messages API; `reset` is the moment the window is whole
    /// again, in RFC 3339, counted from `nowMilliseconds` (Unix time).
    package func putAnthropicHeadLines(into out: inout RawByteWriter, nowMilliseconds: Int64) {
        requests?.putAnthropicHeadLines(named: .anthropicRequests, into: &out, nowMilliseconds: nowMilliseconds)
        tokens?.putAnthropicHeadLines(named: .anthropicTokens, into: &out, nowMilliseconds: nowMilliseconds)
    }

    /// Six more lines, each a name of at most 40 bytes, ": ", a 20-byte time and CRLF.
    package static let mostAnthropicHeadBytes = 6 * (40 + 2 + 20 + 2)

    /// Six lines, each a name of at most 30 bytes, ": ", a number of at most 20 digits and a
    /// sign or a duration of at most 24 bytes, and CRLF.
    package static let mostHeadBytes = 6 * (30 + 2 + 24 + 2)
}

/// One limit's window: its size, what is left of it, and when it is whole again.
package struct WindowSnapshot: Sendable, Equatable {
    package var limit: Int
    package var remaining: Int
    /// `reset` as the limiters count it, and the head line writes it.
    var resetMilliseconds: Int64

    /// Time until everything charged in the window has aged out.
    package var reset: Duration {
        get { .milliseconds(resetMilliseconds) }
        set { resetMilliseconds = RateLimitDuration.milliseconds(newValue) }
    }

    package init(limit: Int, remaining: Int, reset: Duration) {
        self.init(limit: limit, remaining: remaining, resetMilliseconds: RateLimitDuration.milliseconds(reset))
    }

    package init(limit: Int, used: Int, resetMilliseconds: Int64) {
        self.init(limit: limit, remaining: max(0, limit - used), resetMilliseconds: max(0, resetMilliseconds))
    }

    private init(limit: Int, remaining: Int, resetMilliseconds: Int64) {
        self.limit = limit
        self.remaining = remaining
        self.resetMilliseconds = resetMilliseconds
    }

    /// `limit`, `remaining` and `reset` as three head lines with the window's names.
    func putHeadLines(named names: HeadNames, into out: inout RawByteWriter) {
        out.put(names.limit)
        out.putDecimal(limit)
        out.put(names.remaining)
        out.putDecimal(remaining)
        out.put(names.reset)
        RateLimitDuration.put(milliseconds: resetMilliseconds, into: &out)
        out.put("\r\n")
    }

    /// `limit`, `remaining` and the moment of `reset` as Anthropic names them.
    func putAnthropicHeadLines(named names: HeadNames, into out: inout RawByteWriter, nowMilliseconds: Int64) {
        out.put(names.limit)
        out.putDecimal(limit)
        out.put(names.remaining)
        out.putDecimal(remaining)
        out.put(names.reset)
        RFC3339Time.put(unixSeconds: (nowMilliseconds + resetMilliseconds + 999) / 1000, into: &out)
        out.put("\r\n")
    }

    /// One window's three field names, each with what stands between it and its value.
    struct HeadNames {
        let limit: StaticString
        let remaining: StaticString
        let reset: StaticString

        static let requests = HeadNames(
            limit: "x-ratelimit-limit-requests: ", remaining: "\r\nx-ratelimit-remaining-requests: ",
            reset: "\r\nx-ratelimit-reset-requests: ")
        static let tokens = HeadNames(
            limit: "x-ratelimit-limit-tokens: ", remaining: "\r\nx-ratelimit-remaining-tokens: ",
            reset: "\r\nx-ratelimit-reset-tokens: ")
        static let anthropicRequests = HeadNames(
            limit: "anthropic-ratelimit-requests-limit: ", remaining: "\r\nanthropic-ratelimit-requests-remaining: ",
            reset: "\r\nanthropic-ratelimit-requests-reset: ")
        static let anthropicTokens = HeadNames(
            limit: "anthropic-ratelimit-tokens-limit: ", remaining: "\r\nanthropic-ratelimit-tokens-remaining: ",
            reset: "\r\nanthropic-ratelimit-tokens-reset: ")
    }
}
