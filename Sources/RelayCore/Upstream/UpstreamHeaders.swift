import HTTPTypes
import NIOCore
import RelayHTTP
import RelayWire

/// Which headers cross Relay, in each direction, whatever the backend speaks: an allow-list each
/// way (docs/security.md, "Headers that cross Relay"). Everything not listed stays behind.
enum UpstreamHeaders {
    /// Client request headers a backend is sent as the client sent them: what it needs to
    /// answer, and the SDKs' own telemetry (`x-stainless-*`). Relay sets `host`,
    /// `content-type`, `content-length`, `authorization` (the backend's key), `traceparent`
    /// and `x-request-id` itself.
    static let forwardedRequestHeaders = FieldNameSet([
        "accept", "user-agent", "openai-beta", "anthropic-version", "anthropic-beta", "tracestate",
    ])
    static let forwardedRequestPrefix: StaticString = "x-stainless-"

    /// Request headers never sent on, whatever a backend's `forward_headers` says: credentials,
    /// cookies, framing and hop-by-hop headers, the client's view of the proxies before Relay,
    /// and the ones Relay sets itself.
    static let requestHeadersNeverForwarded = FieldNameSet([
        "authorization", "proxy-authorization", "cookie", "host", "content-length", "content-type",
        "content-encoding", "accept-encoding", "transfer-encoding", "connection", "keep-alive", "proxy-connection",
        "te", "trailer", "upgrade", "expect", "forwarded", "x-real-ip", "x-request-id", "traceparent", "api-key",
        "x-api-key", "openai-organization", "openai-project",
    ])
    static let requestPrefixesNeverForwarded: [StaticString] = ["x-forwarded-", "x-relay-", "proxy-"]

    /// Backend response headers the client is given; Relay adds `content-length` itself.
    static let passedBackResponseHeaders = FieldNameSet(["content-type", "cache-control", "openai-processing-ms"])

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
        let extra = backend.forwardedHeaders
        var connectionOptions: [String] = []
        for field in clientHeaders {
            guard isForwarded(field.name.canonicalName, extra: extra) else {
                if field.name == .connection { connectionOptions.append(field.value) }
                continue
            }
            if !keepsTraceState, field.name == .tracestate { continue }
            headers.append((field.name.rawName, field.value))
        }
        // Names the client's `Connection` lists are for the hop to Relay only (RFC 9110 §7.6.1).
        if !connectionOptions.isEmpty {
            let listed = ConnectionOptions(connectionOptions)
            headers.removeAll { listed.names($0.name) }
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

    /// Whether a client header (its name in lowercase) goes to the backend: listed, or named by
    /// the backend's `forward_headers` and not one that never goes.
    static func isForwarded(_ name: String, extra: ForwardedHeaderNames) -> Bool {
        var bytesOfName = name
        let listed = bytesOfName.withUTF8 { utf8 -> Bool? in
            let bytes = UnsafeRawBufferPointer(utf8)
            if forwardedRequestHeaders.contains(bytes) || FieldNameSet.name(bytes, hasPrefix: forwardedRequestPrefix) {
                return true
            }
            // Underscore look-alikes (`content_length`) are read as the real name by some servers.
            guard !extra.isEmpty, !bytes.contains(UInt8(ascii: "_")), !requestHeadersNeverForwarded.contains(bytes),
                !requestPrefixesNeverForwarded.contains(where: { FieldNameSet.name(bytes, hasPrefix: $0) })
            else { return false }
            return nil
        }
        if let listed { return listed }
        return extra.contains(name)
    }

    /// The fields passed back; a body's `contentLength` comes first, where the searches for it
    /// (`RelayResponse`, `ResponseFraming`) end at once.
    static func response(_ upstream: HeadFields, contentLength: Int? = nil) -> HTTPFields {
        var fields = HTTPFields()
        // With room for the `Content-Type` and `Cache-Control` a stream's answer is given.
        fields.reserveCapacity(4)
        if let contentLength { fields.append(HTTPField(name: .contentLength, value: String(contentLength))) }
        var connectionOptions: [String] = []
        upstream.eachField { name, value in
            // Checked on the bytes of the name, before anything is made of it.
            guard passedBackResponseHeaders.contains(name) else {
                if name.count == 10, FieldNameSet.name(name, hasPrefix: "connection") {
                    connectionOptions.append(String(decoding: value, as: UTF8.self))
                }
                return
            }
            guard
                let fieldName = CommonFieldNames.name(name)
                    ?? HTTPField.Name(String(decoding: name, as: UTF8.self).lowercased())
            else { return }
            fields.append(HTTPField(name: fieldName, value: String(decoding: value, as: UTF8.self)))
        }
        // Names the backend's `Connection` lists are for the hop to Relay only. It nearly always
        // lists none of the fields passed back, and then the fields stay as they are.
        if !connectionOptions.isEmpty {
            let listed = ConnectionOptions(connectionOptions)
            let isListed = { (field: HTTPField) in
                field.name != .contentLength && listed.names(field.name.canonicalName)
            }
            if fields.contains(where: isListed) { fields = HTTPFields(fields.filter { !isListed($0) }) }
        }
        return fields
    }
}
