import NIOCore
import NIOSSL

/// TLS to Redis (`rediss://`): the server's certificate is checked against `trustRoots` and
/// the host name in the URL (or its IP address when the URL names one).
public struct RedisTLSConfiguration: Sendable, Equatable {
    /// Roots trusted for the server's certificate; `nil`: the system's trust store.
    public var trustRoots: [NIOSSLCertificate]?

    public init(trustRoots: [NIOSSLCertificate]? = nil) {
        self.trustRoots = trustRoots
    }

    /// Built once per client: loading the system's roots is too slow to repeat per connection.
    func makeContext() throws -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        if let trustRoots { tls.trustRoots = .certificates(trustRoots) }
        return try NIOSSLContext(configuration: tls)
    }

    /// The name sent for SNI and checked against the certificate; an IP address cannot be sent
    /// (RFC 6066), and NIOSSL then checks the certificate against the peer's address instead.
    static func serverName(for host: String) -> String? {
        (try? SocketAddress(ipAddress: host, port: 0)) == nil ? host : nil
    }
}
