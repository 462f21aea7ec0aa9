import FoundationEssentials
import NIOSSL

/// Certificate authorities read from a PEM file, trusted instead of the system's roots.
///
/// The certificates are part of the config value, so a reload that finds different ones in the
/// same file counts as a change and the client that uses them is rebuilt.
struct CABundle: Sendable, Equatable {
    var path: String
    var certificates: [NIOSSLCertificate]

    /// Reads every certificate in the file; the message says what is wrong in a config problem.
    package static func load(path: String) -> Result<CABundle, PEMFileProblem> {
        PEMFile.certificates(at: path).map { CABundle(path: path, certificates: $0) }
    }
}

/// Why a PEM file could not be used, worded for a config problem (never the file's content).
struct PEMFileProblem: Error, Sendable, Equatable, CustomStringConvertible {
    let description: String
}

/// Reads PEM certificate and key files with messages a user can act on.
enum PEMFile {
    static func certificates(at path: String) -> Result<[NIOSSLCertificate], PEMFileProblem> {
        if let problem = unreadable(path) { return .failure(problem) }
        guard let certificates = try? NIOSSLCertificate.fromPEMFile(path), !certificates.isEmpty else {
            return .failure(PEMFileProblem(description: "\"\(path)\" holds no PEM certificate"))
        }
        return .success(certificates)
    }

    static func privateKey(at path: String) -> Result<NIOSSLPrivateKey, PEMFileProblem> {
        if let problem = unreadable(path) { return .failure(problem) }
        guard let key = try? NIOSSLPrivateKey(file: path, format: .pem) else {
            return .failure(PEMFileProblem(description: "\"\(path)\" holds no PEM private key (or it is encrypted)"))
        }
        return .success(key)
    }

    private static func unreadable(_ path: String) -> PEMFileProblem? {
        var isDirectory = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return PEMFileProblem(description: "file \"\(path)\" does not exist")
        }
        guard !isDirectory, FileManager.default.isReadableFile(atPath: path) else {
            return PEMFileProblem(description: "cannot read \"\(path)\"")
        }
        return nil
    }
}

extension ConfigReader {
    /// A path to a PEM file of CA certificates, read now so a bad file is a config problem.
    func caBundle(_ field: ConfigField) -> CABundle? {
        guard let path = nonEmptyString(field) else { return nil }
        switch CABundle.load(path: path) {
        case .success(let bundle): return bundle
        case .failure(let problem):
            report(field.path, problem.description)
            return nil
        }
    }
}
