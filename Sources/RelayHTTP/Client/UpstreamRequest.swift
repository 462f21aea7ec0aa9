import NIOCore
import NIOHTTP1

/// What Relay sends to a backend, built by its dialect and sent by `UpstreamExchange`.
package struct UpstreamRequest {
    package var method: HTTPMethod = .POST
    /// The path on the backend, its base URL's own path included (`Backend.upstreamPath`).
    var path: String
    /// `Host` included; checked when the request is encoded (`UpstreamRequestEncoder`).
    var headers: [(name: String, value: String)]
    /// Copied once, into the buffer the head is written in.
    var body: [UInt8]?

    package init(
        method: HTTPMethod = .POST, path: String, headers: [(name: String, value: String)], body: [UInt8]? = nil
    ) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
    }
}
