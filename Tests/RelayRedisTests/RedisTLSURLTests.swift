import NIOSSL
import RelayTestSupport
import Testing

@testable import RelayRedis

@Suite struct RedisTLSURLTests {
    @Test func redissTurnsTLSOnWithTheSystemRoots() throws {
        let configuration = try RedisConfiguration(url: "rediss://user:pw@cache.internal:6380/2")
        #expect(configuration.tls == RedisTLSConfiguration(trustRoots: nil))
        #expect(configuration.host == "cache.internal")
        #expect(configuration.port == 6380)
        #expect(configuration.password == "pw")
        #expect(configuration.database == 2)
        #expect(try RedisConfiguration(url: "redis://cache").tls == nil)
    }

    @Test func onlyHostNamesAreSentForSNI() {
        #expect(RedisTLSConfiguration.serverName(for: "cache.internal") == "cache.internal")
        #expect(RedisTLSConfiguration.serverName(for: "localhost") == "localhost")
        #expect(RedisTLSConfiguration.serverName(for: "127.0.0.1") == nil)
        #expect(RedisTLSConfiguration.serverName(for: "::1") == nil)
    }
}

/// `rediss://` against a real redis-server listening with TLS (Debian's build has it).
@Suite struct RedisTLSConnectionTests {
    @Test func talksToATrustedServerAndRefusesAnUntrustedOne() async throws {
        let files = try TestCertificates()
        defer { files.remove() }
        let tlsPort = try RedisTestServer.freePort()
        let server = try RedisTestServer(arguments: [
            "--tls-port", String(tlsPort), "--tls-cert-file", files.certPath, "--tls-key-file", files.keyPath,
            "--tls-ca-cert-file", files.caPath, "--tls-auth-clients", "no",
        ])
        defer { server.stop() }
        try await Task.sleep(for: .milliseconds(200))  // the TLS port opens with the plain one

        let trusting = try testClient(url: "rediss://127.0.0.1:\(tlsPort)/3") {
            $0.tls?.trustRoots = try? NIOSSLCertificate.fromPEMFile(files.caPath)
        }
        #expect(try await trusting.send(["SET", "tls-test", "yes"]) == .simpleString("OK"))
        #expect(try await trusting.send(["GET", "tls-test"]).string == "yes")
        await trusting.shutdown()

        // By name, checked against the certificate's DNS name, with SNI.
        let byName = try testClient(url: "rediss://localhost:\(tlsPort)") {
            $0.tls?.trustRoots = try? NIOSSLCertificate.fromPEMFile(files.caPath)
        }
        #expect(try await byName.send(["PING"]) == .simpleString("PONG"))
        await byName.shutdown()

        // The system's roots do not include the test CA: the handshake fails, and says so.
        let untrusting = try testClient(url: "rediss://127.0.0.1:\(tlsPort)")
        await #expect {
            try await untrusting.send(["PING"])
        } throws: { error in
            guard case .connectionFailed(let message) = error as? RedisClientError else { return false }
            return message.contains("TLS handshake with Redis failed")
        }
        await untrusting.shutdown()
    }
}
