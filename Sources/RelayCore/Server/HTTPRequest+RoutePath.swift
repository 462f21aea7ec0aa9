import HTTPTypes

extension HTTPRequest {
    /// The path a request is routed by: its target up to the query, `/` for none, as
    /// Hummingbird's `URI.path` reads it, without parsing the rest of a URI for every request.
    var routePath: String {
        guard let path, !path.isEmpty else { return "/" }
        guard let query = path.utf8.firstIndex(of: UInt8(ascii: "?")) else { return path }
        return String(path[..<query])
    }
}
