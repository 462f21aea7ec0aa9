import HTTPTypes
import RelayWire

/// A client's request head as its connection read it: what the handlers read of it, and what
/// HTTP/1.1 says of the connection. Method, path and authority are kept as the parser read
/// them, not as `HTTPRequest`'s pseudo fields, so none is checked again as a field value and
/// the method is not read back from text at every look.
package struct ClientRequestHead: Sendable {
    package let method: HTTPRequest.Method
    /// The request target as a path (``ClientRequestHeadBuilder/path(_:)``).
    let path: String
    /// The first `Host`, not among the fields.
    let authority: String?
    package let headerFields: HTTPFields
    /// 0 or 1, of HTTP/1.x.
    package let minorVersion: UInt8
    /// The connection may carry another request after this one's answer (RFC 9112 §9.3).
    package let keepAlive: Bool

    /// The path a request is routed by: its target up to the query, `/` for none, as
    /// Hummingbird's `URI.path` reads it, without parsing the rest of a URI for every request.
    package var routePath: String {
        guard !path.isEmpty else { return "/" }
        var path = path
        // Searched in place: the string's generic UTF-8 view costs an index step per byte.
        let beforeQuery = path.withUTF8 { bytes in
            bytes.firstIndex(of: UInt8(ascii: "?")).map {
                String(decoding: UnsafeBufferPointer(rebasing: bytes[..<$0]), as: UTF8.self)
            }
        }
        return beforeQuery ?? path
    }
}

/// Makes the head straight from its bytes as the parser reads them: one list of fields, no
/// intermediate head. The names a client usually sends are matched on their bytes against
/// ready-made ones (``CommonFieldNames``), and a path in origin form (`/v1/...`, as every
/// client sends it) is taken as it is.
struct ClientRequestHeadBuilder {
    private var fields = HTTPFields()
    /// The first `Host`, which becomes the request's authority instead of a field.
    private var authority: String?

    init() {
        fields.reserveCapacity(12)
    }

    /// A field, its name a token and its value checked by the parser.
    package mutating func append(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        if authority == nil, name.count == 4, FieldNameSet.name(name, hasPrefix: "host") {
            authority = String(decoding: value, as: UTF8.self)
            return
        }
        guard
            let fieldName = CommonFieldNames.name(name) ?? HTTPField.Name(String(decoding: name, as: UTF8.self))
        else { return }
        fields.append(HTTPField(name: fieldName, value: String(decoding: value, as: UTF8.self)))
    }

    /// The head with `method` and `target` from its request line; `nil` for a method
    /// swift-http-types refuses.
    package func head(
        method: UnsafeRawBufferPointer, target: UnsafeRawBufferPointer, minorVersion: UInt8, keepAlive: Bool
    ) -> ClientRequestHead? {
        guard let method = HTTPRequest.Method(String(decoding: method, as: UTF8.self)) else { return nil }
        return ClientRequestHead(
            method: method, path: Self.path(target), authority: authority, headerFields: fields,
            minorVersion: minorVersion, keepAlive: keepAlive)
    }

    /// The request target as a path: origin form as it is; the path and query of an absolute
    /// form (`http://host/path?query`, which a server must accept); `*` and anything else as
    /// it is, for the router to reject.
    static func path(_ target: UnsafeRawBufferPointer) -> String {
        guard target.first != UInt8(ascii: "/"),
            let colon = target.firstIndex(of: UInt8(ascii: ":")), target[colon...].starts(with: "://".utf8)
        else { return String(decoding: target, as: UTF8.self) }
        let isDelimiter = { (byte: UInt8) in
            byte == UInt8(ascii: "/") || byte == UInt8(ascii: "?") || byte == UInt8(ascii: "#")
        }
        let start = target[(colon + 3)...].firstIndex(where: isDelimiter) ?? target.endIndex
        let end = target[start...].firstIndex(of: UInt8(ascii: "#")) ?? target.endIndex
        let path = String(decoding: target[start..<end], as: UTF8.self)
        return path.utf8.first == UInt8(ascii: "/") ? path : "/" + path
    }
}
