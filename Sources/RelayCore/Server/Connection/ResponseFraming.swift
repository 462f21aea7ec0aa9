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
    /// No body: the answer to `HEAD`, or a status that has none (1xx, 204, 304).
    case none

    init(status: HTTPResponse.Status, fields: HTTPFields, method: HTTPMethod, version: HTTPVersion) {
        if method == .HEAD || !Self.mayHaveBody(status) {
            self = .none
        } else if fields[.contentLength] != nil {
            self = .length
        } else if version.major == 1, version.minor >= 1 {
            self = .chunked
        } else {
            self = .untilClose
        }
    }

    /// Removes the fields that would contradict the framing.
    func correct(_ fields: inout HTTPFields, status: HTTPResponse.Status) {
        switch self {
        case .length, .chunked, .untilClose:
            if fields.contains(.transferEncoding) { fields[.transferEncoding] = nil }
        case .none:
            // A response to HEAD may tell the length a GET would have had; these statuses may not.
            if !Self.mayHaveBody(status) { fields[.contentLength] = nil }
            if fields.contains(.transferEncoding) { fields[.transferEncoding] = nil }
        }
    }

    private static func mayHaveBody(_ status: HTTPResponse.Status) -> Bool {
        !(status.kind == .informational || status.code == 204 || status.code == 304)
    }
}
