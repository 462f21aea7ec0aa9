import HTTPTypes
import NIOCore

extension AccessRecord {
    /// Notes who sent the request (`client_ip`) and the trace it belongs to (`trace_id`; the
    /// `traceparent` upstreams will see, with Relay's span as the parent).
    mutating func noteOrigin(headers: HTTPFields, peer: SocketAddress?, trusted: TrustedProxies) {
        let peerIP = peer.flatMap(IPAddress.init)
        clientIP =
            trusted.isEmpty
            ? peerIP : ClientIP.resolve(peer: peerIP, forwardedFor: headers.value(.xForwardedFor), trusted: trusted)
        trace = TraceContext(incoming: headers.value(.traceparent))
    }
}
