import HTTPTypes
import NIOHTTP1

/// NIO's parsed request head as swift-http-types' `HTTPRequest`, the type the handlers read.
///
/// NIOHTTPTypesHTTP1's conversion lowercases and validates every field name into a new string
/// and reads the path through Foundation's `URLComponents`, about 12,000 instructions a
/// request; the names a client usually sends are matched against ready-made ones instead
/// (``CommonFieldNames``), and a path in origin form (`/v1/...`, as every client sends it) is
/// taken as it is.
enum RequestHeadConversion {
    /// The request, or `nil` for a method swift-http-types rejects.
    static func request(_ head: HTTPRequestHead, secure: Bool) -> HTTPRequest? {
        guard let method = method(head.method) else { return nil }
        var fields = HTTPFields()
        fields.reserveCapacity(head.headers.count)
        var authority: String?
        for (name, value) in head.headers {
            if authority == nil, name.utf8.count == 4, name.lowercased() == "host" {
                authority = value
                continue
            }
            // llhttp has checked the name's characters; `Name(_:)` checks them again.
            guard let fieldName = CommonFieldNames.name(name) ?? HTTPField.Name(name) else { continue }
            fields.append(HTTPField(name: fieldName, value: value))
        }
        return HTTPRequest(
            method: method, scheme: secure ? "https" : "http", authority: authority, path: path(head.uri),
            headerFields: fields)
    }

    private static func method(_ method: HTTPMethod) -> HTTPRequest.Method? {
        switch method {
        case .GET: .get
        case .POST: .post
        case .HEAD: .head
        case .PUT: .put
        case .DELETE: .delete
        case .OPTIONS: .options
        case .PATCH: .patch
        case .TRACE: .trace
        case .CONNECT: .connect
        default: HTTPRequest.Method(method.rawValue)
        }
    }

    /// The request target as a path: origin form as it is; the path and query of an absolute
    /// form (`http://host/path?query`, which a server must accept); `*` and anything else as
    /// it is, for the router to reject.
    static func path(_ uri: String) -> String {
        guard uri.utf8.first != UInt8(ascii: "/") else { return uri }
        let bytes = Array(uri.utf8)
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), bytes[colon...].starts(with: "://".utf8)
        else { return uri }
        let delimiters: [UInt8] = [UInt8(ascii: "/"), UInt8(ascii: "?"), UInt8(ascii: "#")]
        let start = bytes[(colon + 3)...].firstIndex(where: delimiters.contains) ?? bytes.endIndex
        let end = bytes[start...].firstIndex(of: UInt8(ascii: "#")) ?? bytes.endIndex
        let target = String(decoding: bytes[start..<end], as: UTF8.self)
        return target.utf8.first == UInt8(ascii: "/") ? target : "/" + target
    }
}
