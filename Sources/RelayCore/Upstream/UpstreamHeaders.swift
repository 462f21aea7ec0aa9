import HTTPTypes
import NIOCore
import NIOHTTP1

/// Which headers cross Relay, in each direction, whatever the backend speaks.
enum UpstreamHeaders {
    /// Request headers that never leave Relay: credentials, hop-by-hop headers, and the ones
    /// Relay sets itself. The client's organisation headers mean nothing with the backend's key.
    static let requestHeadersNotForwarded: Set<String> = [
        "authorization", "proxy-authorization", "host", "content-length", "accept-encoding", "connection",
        "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "expect",
        "x-request-id", "openai-organization", "openai-project", "traceparent",
    ]

    /// Response headers that never reach the client: hop-by-hop headers, the upstream's own rate
    /// limits and cookies, and the ones Relay sets itself.
    static let responseHeadersNotPassedBack: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
        "content-length", "set-cookie", "server", "date", "x-request-id",
    ]

    static func request(
        path: String,
        clientHeaders: HTTPFields,
        backend: Backend,
        requestID: String,
        trace: TraceContext? = nil,
        body: [UInt8]
    ) -> UpstreamRequest {
        var headers = HTTPHeaders()
        headers.add(name: "host", value: backend.pool.hostHeader)
        // `tracestate` belongs to the client's `traceparent`: without a valid one it goes nowhere.
        let keepsTraceState = trace?.continued ?? true
        for field in clientHeaders where !requestHeadersNotForwarded.contains(field.name.canonicalName) {
            if !keepsTraceState, field.name == .tracestate { continue }
            headers.add(name: field.name.rawName, value: field.value)
        }
        if let trace { headers.add(name: "traceparent", value: trace.header) }
        headers.replaceOrAdd(name: "content-type", value: "application/json")
        // Servers built on starlette-context (llama-cpp-python's) answer 400 to any
        // x-request-id that is not a UUID, so other ids stay with Relay.
        if UUIDText.isUUID(requestID) {
            headers.add(name: "x-request-id", value: requestID)
        }
        if let authorization = backend.authorization {
            headers.add(name: "authorization", value: authorization)
        }
        headers.add(name: "content-length", value: String(body.count))
        return UpstreamRequest(path: path, headers: headers, body: ByteBuffer(bytes: body))
    }

    static func response(_ upstream: HTTPHeaders) -> HTTPFields {
        var fields = HTTPFields()
        for (name, value) in upstream {
            let lowercased = name.lowercased()
            guard !responseHeadersNotPassedBack.contains(lowercased), !lowercased.hasPrefix("x-ratelimit-"),
                let fieldName = HTTPField.Name(lowercased)
            else { continue }
            fields.append(HTTPField(name: fieldName, value: value))
        }
        return fields
    }
}
