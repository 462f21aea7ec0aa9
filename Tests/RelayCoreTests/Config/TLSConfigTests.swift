import Foundation
import RelayTestSupport
import Testing

@testable import RelayCore

/// `server.tls`, `backends.X.ca_file`, `redis_ca_file` and `rediss://`: the files are read at
/// load, so a bad one is a config problem with its path, not a failure at the first connection.
@Suite("TLS settings")
final class TLSConfigTests {
    let files: TestCertificates

    init() throws {
        files = try TestCertificates()
    }

    deinit {
        files.remove()
    }

    private func serverTLS(cert: String, key: String) -> String {
        "server:\n  tls: {cert_path: \"\(cert)\", key_path: \"\(key)\"}\n"
    }

    @Test func aValidCertificateAndKeyTurnTLSOn() throws {
        let config = try parseValid(serverTLS(cert: files.certPath, key: files.keyPath))
        #expect(config.server.tls == ServerTLSConfig(certPath: files.certPath, keyPath: files.keyPath))
        #expect(try parseValid("").server.tls == nil)
        #expect(try parseValid("server: {tls: null}").server.tls == nil)
    }

    @Test func aChainFileWithIntermediatesIsAccepted() throws {
        let chain =
            try String(contentsOfFile: files.certPath, encoding: .utf8)
            + String(contentsOfFile: files.caPath, encoding: .utf8)
        let path = try files.write(chain, named: "chain.pem")
        #expect(try parseValid(serverTLS(cert: path, key: files.keyPath)).server.tls?.certPath == path)
    }

    @Test func badFilesAreReportedAtTheirKey() throws {
        let notPEM = try files.write("hello\n", named: "not.pem")
        #expect(
            problemLines(serverTLS(cert: "/nonexistent/c.pem", key: files.keyPath)) == [
                #"server.tls.cert_path: file "/nonexistent/c.pem" does not exist"#
            ])
        #expect(
            problemLines(serverTLS(cert: notPEM, key: files.keyPath)) == [
                #"server.tls.cert_path: "\#(notPEM)" holds no PEM certificate"#
            ])
        #expect(
            problemLines(serverTLS(cert: files.certPath, key: files.certPath)) == [
                #"server.tls.key_path: "\#(files.certPath)" holds no PEM private key (or it is encrypted)"#
            ])
        #expect(
            problemLines(serverTLS(cert: files.certPath, key: files.strayKeyPath)) == [
                "server.tls.key_path: the key does not match the certificate in cert_path"
            ])
        #expect(
            problemLines(serverTLS(cert: files.directory, key: files.keyPath)) == [
                #"server.tls.cert_path: cannot read "\#(files.directory)""#
            ])
    }

    @Test func missingAndUnknownKeysAreReported() {
        #expect(
            problemLines("server: {tls: {cert_path: /x.pem, keypath: /y.pem}}") == [
                #"server.tls.keypath: unknown key (did you mean "key_path"?)"#,
                "server.tls.key_path: missing required key",
            ])
        #expect(problemLines("server: {tls: yes}") == ["server.tls: expected a mapping, got yes"])
    }

    @Test func aBackendCABundleHoldsItsCertificates() throws {
        let yaml = """
            backends:
              private: {type: vllm, base_url: "https://vllm.internal:8443", ca_file: "\(files.caPath)"}
            """
        let bundle = try #require(try parseValid(yaml).backends["private"]?.caBundle)
        #expect(bundle.path == files.caPath)
        #expect(bundle.certificates.count == 1)
        #expect(try parseValid(baseBackends).backends["cloud"]?.caBundle == nil)
    }

    @Test func aBackendCABundleMustBeReadableAndUsedWithHTTPS() throws {
        let notPEM = try files.write("-----BEGIN CERTIFICATE-----\nnope\n", named: "broken.pem")
        let yaml = """
            backends:
              a: {type: vllm, base_url: "https://a", ca_file: /nonexistent/ca.pem}
              b: {type: vllm, base_url: "https://b", ca_file: "\(notPEM)"}
              c: {type: vllm, base_url: "http://c", ca_file: "\(files.caPath)"}
              d: {type: vllm, base_url: "https://d", ca_file: ""}
            """
        #expect(
            problemLines(yaml) == [
                #"backends.a.ca_file: file "/nonexistent/ca.pem" does not exist"#,
                #"backends.b.ca_file: "\#(notPEM)" holds no PEM certificate"#,
                "backends.c.ca_file: only used with an https base_url",
                "backends.d.ca_file: must not be empty",
            ])
    }

    @Test func redissURLsAndTheirCABundle() throws {
        let config = try parseValid("redis_url: rediss://:pw@cache:6380/1\nredis_ca_file: \"\(files.caPath)\"")
        #expect(config.redisURL == "rediss://:pw@cache:6380/1")
        #expect(config.redisCABundle?.certificates.count == 1)
        #expect(try parseValid("redis_url: rediss://cache").redisCABundle == nil)
        #expect(
            problemLines("redis_url: redis://cache\nredis_ca_file: \"\(files.caPath)\"") == [
                "redis_ca_file: only used with a rediss:// redis_url"
            ])
        #expect(
            problemLines("redis_ca_file: \"\(files.caPath)\"") == [
                "redis_ca_file: only used with a rediss:// redis_url"
            ])
    }

    @Test func newCertificatePathsApplyOnReloadButTurningTLSOnNeedsARestart() throws {
        let plain = try parseValid("")
        let secured = try parseValid(serverTLS(cert: files.certPath, key: files.keyPath))
        let chain = try files.write(try String(contentsOfFile: files.certPath, encoding: .utf8), named: "renewed.pem")
        let renewed = try parseValid(serverTLS(cert: chain, key: files.keyPath))
        #expect(ConfigReloader.changesNeedingRestart(from: secured, to: renewed) == [])
        #expect(ConfigReloader.changesNeedingRestart(from: plain, to: secured) == ["server.tls"])
        #expect(ConfigReloader.changesNeedingRestart(from: secured, to: plain) == ["server.tls"])
        var withRedisCA = plain
        withRedisCA.redisCABundle = secured.server.tls.map { _ in CABundle(path: files.caPath, certificates: []) }
        #expect(ConfigReloader.changesNeedingRestart(from: plain, to: withRedisCA) == ["redis_ca_file"])
    }

    @Test func theContextBoxHandsOutTheLatestContext() throws {
        let tls = ServerTLSConfig(certPath: files.certPath, keyPath: files.keyPath)
        let first = try ServerTLSContext.make(tls).get()
        let second = try ServerTLSContext.make(tls).get()
        let box = TLSContextBox(first)
        #expect(box.context === first)
        box.replace(with: second)
        #expect(box.context === second)
    }
}
