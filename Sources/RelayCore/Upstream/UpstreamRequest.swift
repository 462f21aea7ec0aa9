import Foundation
import NIOCore
import NIOHTTP1

/// What Relay sends to a backend, built by its dialect and sent by `UpstreamExchange`.
struct UpstreamRequest {
    /// Parsed once per backend and endpoint (`Backend.upstreamURL`); `nil` if it does not parse.
    var url: URL?
    var headers: HTTPHeaders
    var body: ByteBuffer
}
