import Foundation

/// A throwaway certificate authority and a server certificate it signed (for `localhost` and
/// `127.0.0.1`), made with the `openssl` command in a fresh temporary directory, so no key is
/// ever kept in the repository.
public struct TestCertificates: Sendable {
    public let directory: String
    public var caPath: String { directory + "/ca.crt" }
    public var certPath: String { directory + "/server.crt" }
    public var keyPath: String { directory + "/server.key" }
    /// A key that belongs to no certificate here.
    public var strayKeyPath: String { directory + "/stray.key" }

    public init() throws {
        directory = NSTemporaryDirectory() + "relay-tls-\(UInt64.random(in: 0 ... .max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try Self.openssl(
            ["req", "-x509"] + ec + [
                "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=Relay Test CA",
            ], in: directory)
        try Self.openssl(
            ["req"] + ec + ["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"], in: directory)
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\n".write(
            toFile: directory + "/san.ext", atomically: true, encoding: .utf8)
        try Self.openssl(
            [
                "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", "server.crt", "-days", "2", "-extfile", "san.ext",
            ], in: directory)
        try Self.openssl(
            ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-out", "stray.key"],
            in: directory)
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Writes `text` to a file in the directory and returns its path.
    public func write(_ text: String, named name: String) throws -> String {
        let path = directory + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private static func openssl(_ arguments: [String], in directory: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw OpenSSLFailed(arguments: arguments) }
    }

    struct OpenSSLFailed: Error {
        let arguments: [String]
    }
}
