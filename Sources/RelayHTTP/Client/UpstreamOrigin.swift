import FoundationEssentials
import NIOCore

/// Where a backend's `base_url` points: the server to connect to, how, and what goes before
/// every path sent to it. Parsed once per backend.
struct UpstreamOrigin: Sendable, Equatable {
    /// The host to resolve and connect to (an IPv6 address without its brackets).
    let host: String
    let port: Int
    let usesTLS: Bool
    /// The `Host` header: the port only when it is not the scheme's own.
    package let hostHeader: String
    /// The base URL's own path (a proxy's mount point), without a trailing slash; usually empty.
    package let basePath: String

    init?(baseURL: String) {
        guard let components = URLComponents(string: baseURL),
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            var host = components.host, !host.isEmpty
        else { return nil }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.host = host
        self.usesTLS = scheme == "https"
        let defaultPort = usesTLS ? 443 : 80
        self.port = components.port ?? defaultPort
        let hostName = host.contains(":") ? "[\(host)]" : host
        self.hostHeader = port == defaultPort ? hostName : "\(hostName):\(port)"
        var path = Substring(components.percentEncodedPath)
        while path.hasSuffix("/") { path = path.dropLast() }
        self.basePath = String(path)
    }

    /// The name sent for SNI and checked against the certificate; an IP address cannot be sent
    /// (RFC 6066), and NIOSSL then checks the certificate against the peer's address instead.
    var serverName: String? {
        (try? SocketAddress(ipAddress: host, port: 0)) == nil ? host : nil
    }
}
