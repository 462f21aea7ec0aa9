import HTTPTypes
import NIOHTTP1

/// How a response's body is delimited on the connection.
enum ResponseFraming: Equatable {
    /// By `Content-Length`.
    case length
    /// Chunked transfer coding: a stream, to an HTTP/1.1 client.
    case chunked
    /// By the end of the connection: a stream, to an HTTP/1.0 client.
    case untilClose
    /// No body, as the answer to `HEAD`; its `Content-Length` tells what a GET would have had.
    case headOnly
    /// No body and no length: a status that has none (1xx, 204, 304).
    case bodiless

    init(status: HTTPResponse.Status, fields: HTTPFields, method: HTTPMethod, version: HTTPVersion) {
        if status.kind == .informational || status.code == 204 || status.code == 304 {
            self = .bodiless
        } else if method == .HEAD {
            self = .headOnly
        } else if fields.contains(.contentLength) {
            self = .length
        } else if version.major == 1, version.minor >= 1 {
            self = .chunked
        } else {
            self = .untilClose
        }
    }
}
