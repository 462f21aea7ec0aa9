import HTTPTypes

/// How a response's body is delimited on the connection.
package enum ResponseFraming: Equatable {
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

    /// `bodyLength` is the body's length when it is known: its response was given its
    /// `Content-Length` when it was made, so the fields need no search for it (a search compares
    /// every name of a dozen).
    package init(
        status: HTTPResponse.Status, fields: HTTPFields, bodyLength: Int?, method: HTTPRequest.Method,
        minorVersion: UInt8
    ) {
        if status.kind == .informational || status.code == 204 || status.code == 304 {
            self = .bodiless
        } else if method == .head {
            self = .headOnly
        } else if bodyLength != nil || fields.contains(.contentLength) {
            self = .length
        } else if minorVersion >= 1 {
            self = .chunked
        } else {
            self = .untilClose
        }
    }
}
