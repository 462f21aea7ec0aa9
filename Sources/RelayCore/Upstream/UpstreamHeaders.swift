import HTTPTypes
import NIOCore

/// Which headers cross Relay, in each direction, whatever the backend speaks.
enum UpstreamHeaders {
    /// Request headers that never leave Relay: credentials, hop-by-hop headers, and the ones
    /// Relay sets itself. The client's organisation headers mean nothing with the backend's key.
    static let requestHeadersNotForwarded = FieldNameSet([
        "authorization", "proxy-authorization", "host", "content-length", "accept-encoding", "connection",
        "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "expect",
        "x-request-id", "openai-organization", "openai-project", "traceparent", "content-type",
    ])

    /// Response headers that never reach the client: hop-by-hop headers, the upstream's own rate
    /// limits and cookies, and the ones Relay sets itself (a backend may be another Relay).
    static let responseHeadersNotPassedBack = FieldNameSet([
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
        "content-length", "set-cookie", "server", "date", "x-request-id", "x-relay-backend", "x-relay-attempts",
        "x-relay-overhead-ms",
    ])

    static func request(
        path: String,
        clientHeaders: HTTPFields,
        backend: Backend,
        requestID: String,
        trace: TraceContext? = nil,
        body: [UInt8]
    ) -> UpstreamRequest {
        // The names and values are checked when the request is encoded (`UpstreamRequestEncoder`).
        var headers: [(name: String, value: String)] = []
        headers.reserveCapacity(clientHeaders.count + 6)
        headers.append(("host", backend.pool.hostHeader))
        // `tracestate` belongs to the client's `traceparent`: without a valid one it goes nowhere.
        let keepsTraceState = trace?.continued ?? true
        for field in clientHeaders where !requestHeadersNotForwarded.contains(field.name.canonicalName) {
            if !keepsTraceState, field.name == .tracestate { continue }
            headers.append((field.name.rawName, field.value))
        }
        if let trace { headers.append(("traceparent", trace.header)) }
        headers.append(("content-type", "application/json"))
        // Servers built on starlette-context (llama-cpp-python's) answer 400 to any
        // x-request-id that is not a UUID, so other ids stay with Relay.
        if UUIDText.isUUID(requestID) {
            headers.append(("x-request-id", requestID))
        }
        if let authorization = backend.authorization {
            headers.append(("authorization", authorization))
        }
        headers.append(("content-length", String(body.count)))
        return UpstreamRequest(path: path, headers: headers, body: body)
    }

    /// The fields passed back; a body's `contentLength` comes first, where the searches for it
    /// (`RelayResponse`, `ResponseFraming`) end at once.
    static func response(_ upstream: HeadFields, contentLength: Int? = nil) -> HTTPFields {
        var fields = HTTPFields()
        // With room for the `Content-Type` and `Cache-Control` a stream's answer is given.
        fields.reserveCapacity(1 + upstream.count + 2)
        if let contentLength { fields.append(HTTPField(name: .contentLength, value: String(contentLength))) }
        upstream.eachField { name, value in
            // Most of a backend's fields are dropped: checked on the bytes of the name, before
            // anything is made of it.
            guard !responseHeadersNotPassedBack.contains(name), !FieldNameSet.name(name, hasPrefix: "x-ratelimit-"),
                let fieldName = CommonFieldNames.name(name)
                    ?? HTTPField.Name(String(decoding: name, as: UTF8.self).lowercased())
            else { return }
            fields.append(HTTPField(name: fieldName, value: String(decoding: value, as: UTF8.self)))
        }
        return fields
    }
}
