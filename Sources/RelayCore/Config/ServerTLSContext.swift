import NIOSSL

/// Builds the TLS context of Relay's listener from `server.tls`: at config load (to report a bad
/// file as a config problem), at start, and on every reload.
enum ServerTLSContext {
    /// A problem with one of the two files, by its key under `server.tls`.
    struct Failure: Error {
        let key: String
        let message: String
    }

    static func make(_ config: ServerTLSConfig) -> Result<NIOSSLContext, Failure> {
        let chain: [NIOSSLCertificate]
        switch PEMFile.certificates(at: config.certPath) {
        case .success(let certificates): chain = certificates
        case .failure(let problem): return .failure(Failure(key: "cert_path", message: problem.description))
        }
        let key: NIOSSLPrivateKey
        switch PEMFile.privateKey(at: config.keyPath) {
        case .success(let loaded): key = loaded
        case .failure(let problem): return .failure(Failure(key: "key_path", message: problem.description))
        }
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(key)
        )
        // TLS 1.0 and 1.1 are deprecated (RFC 8996); every current client speaks 1.2.
        tls.minimumTLSVersion = .tlsv12
        tls.applicationProtocols = ["http/1.1"]
        do {
            return .success(try NIOSSLContext(configuration: tls))
        } catch {
            // BoringSSL refuses a key that does not belong to the first certificate.
            return .failure(Failure(key: "key_path", message: "the key does not match the certificate in cert_path"))
        }
    }
}
