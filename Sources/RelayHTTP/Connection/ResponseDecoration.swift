import HTTPTypes
import RelayWire

/// The fields Relay adds to the head of every answer to a proxied request: `x-request-id`,
/// `x-relay-backend`, `x-relay-attempts`, `x-relay-overhead-ms` (not on a stream) and the key's
/// `x-ratelimit-*`. They are written as bytes into the head (`HTTP1ResponseEncoding`), after the
/// answer's own fields, never made into `HTTPField`s.
package struct ResponseDecoration: Sendable {
    /// Printable ASCII only (`GatewayResponder.requestID`).
    let requestID: String
    let backend: String
    /// The backend's name as `HTTPField` makes it legal, for a name that is not a valid field value.
    let legalBackend: [UInt8]?
    let attempts: Int
    let overheadMicroseconds: Int64?
    let rateLimit: RateLimitSnapshot?
    /// For an answer on Anthropic's Messages API, the Unix time in milliseconds the
    /// `anthropic-ratelimit-*-reset` moments are counted from; `nil` on every other API.
    let anthropicNowMilliseconds: Int64?

    package init(
        requestID: String,
        backend: String,
        legalBackend: [UInt8]?,
        attempts: Int,
        overheadMicroseconds: Int64?,
        rateLimit: RateLimitSnapshot?,
        anthropicNowMilliseconds: Int64? = nil
    ) {
        self.requestID = requestID
        self.backend = backend
        self.legalBackend = legalBackend
        self.attempts = attempts
        self.overheadMicroseconds = overheadMicroseconds
        self.rateLimit = rateLimit
        self.anthropicNowMilliseconds = anthropicNowMilliseconds
    }

    /// The most bytes `put` writes: the names, the numbers and the two strings.
    var mostBytes: Int {
        256 + requestID.utf8.count + (legalBackend?.count ?? backend.utf8.count) + RateLimitSnapshot.mostHeadBytes
            + (anthropicNowMilliseconds == nil ? 0 : RateLimitSnapshot.mostAnthropicHeadBytes)
    }

    /// The fields as head lines, `name: value` and CRLF each, into room for `mostBytes`.
    func put(into out: inout RawByteWriter) {
        out.put("x-request-id: ")
        out.put(requestID)
        out.put("\r\nx-relay-backend: ")
        if let legalBackend {
            legalBackend.withUnsafeBytes { out.put($0) }
        } else {
            out.put(backend)
        }
        out.put("\r\nx-relay-attempts: ")
        out.putDecimal(attempts)
        if let overheadMicroseconds {
            out.put("\r\nx-relay-overhead-ms: ")
            out.putMilliseconds(microseconds: overheadMicroseconds)
        }
        out.put("\r\n")
        rateLimit?.putHeadLines(into: &out)
        if let anthropicNowMilliseconds {
            rateLimit?.putAnthropicHeadLines(into: &out, nowMilliseconds: anthropicNowMilliseconds)
        }
    }
}
