import FoundationEssentials
import HTTPTypes
import NIOCore
import RelayWire

/// The facts of one request, gathered on its way through and written as its one access line.
struct AccessRecord: Sendable {
    let start = NIODeadline.now()
    var requestID: String
    /// The client as `client_ip` reports it: the peer, or the address a trusted proxy forwarded.
    var clientIP: IPAddress?
    var trace: TraceContext?
    var key = "anonymous"
    var model = "unknown"
    var backend = "none"
    var upstreamModel: String?
    var status = 0
    var stream = false
    var firstTokenAt: NIODeadline?
    /// Time spent waiting on upstreams, to tell Relay's own share of the request from theirs.
    var upstreamTime = TimeAmount.zero
    /// When Relay handed the response (or, for a stream, its first event) to the server.
    var handedOverAt: NIODeadline?
    var usage: Usage?
    var attempts = 0
    var fallbackFrom: String?
    /// Each failed attempt and why Relay moved on from it.
    var tried: [String] = []
    var error: String?
    /// The key's windows, for the answer's `x-ratelimit-*`; not logged.
    var rateLimit: RateLimitSnapshot?
    /// The API the client spoke: it shapes the answer's errors and rate-limit fields.
    var api = ClientAPI.chat

    init(requestID: String) {
        self.requestID = requestID
    }

    /// Relay's own time: everything until the response was handed over, less upstream time.
    var overhead: TimeAmount? {
        handedOverAt.map { max(.zero, ($0 - start) - upstreamTime) }
    }

    func line(at end: NIODeadline = .now(), date: Date = Date()) -> LogLine {
        var line = LogLine(level: status >= 500 ? .error : .info, message: "request", date: date)
        line.add("request_id", requestID)
        line.add("client_ip", clientIP?.text)
        line.add("trace_id", trace?.traceID)
        line.add("key", key)
        line.add("model", model)
        line.add("backend", backend)
        line.add("upstream_model", upstreamModel)
        line.add("status", status)
        line.add("stream", .bool(stream))
        if api != .chat { line.add("api", api.rawValue) }
        line.add("duration_ms", .double(Self.milliseconds(from: start, to: end)))
        if let firstTokenAt { line.add("ttft_ms", .double(Self.milliseconds(from: start, to: firstTokenAt))) }
        if let overhead { line.add("overhead_ms", .double(Double(overhead.nanoseconds / 1000) / 1000)) }
        line.add("prompt_tokens", usage?.promptTokens)
        line.add("completion_tokens", usage?.completionTokens)
        if usage?.estimated == true { line.add("usage_estimated", .bool(true)) }
        line.add("attempts", attempts)
        line.add("fallback_from", fallbackFrom)
        if !tried.isEmpty { line.add("failed_attempts", .strings(tried)) }
        line.add("error", error)
        return line
    }

    private static func milliseconds(from start: NIODeadline, to end: NIODeadline) -> Double {
        (Double((end - start).nanoseconds) / 1000).rounded() / 1000
    }
}
