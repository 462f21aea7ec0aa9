import Benchmark
import RelayCore

/// Authentication of a valid key, as every request pays it once the key is known.
func authBenchmarks() {
    Benchmark(
        "auth: valid sha256 key, 50 keys configured",
        closure: { benchmark, setup in
            for _ in benchmark.scaledIterations {
                blackHole(await setup.authenticator.authenticate(authorization: setup.header))
            }
        },
        setup: { try await AuthSetup.make(kind: .sha256) }
    )

    Benchmark(
        "auth: valid argon2id key, verified before (cached)",
        closure: { benchmark, setup in
            for _ in benchmark.scaledIterations {
                blackHole(await setup.authenticator.authenticate(authorization: setup.header))
            }
        },
        setup: { try await AuthSetup.make(kind: .argon2idVerifiedBefore) }
    )
}

struct AuthSetup: Sendable {
    enum Kind { case sha256, argon2idVerifiedBefore }

    let authenticator: APIKeyAuthenticator
    /// `Authorization: Bearer rk-…`, as the client sends it.
    let header: String

    /// An authenticator over 49 other keys plus the benchmarked one; for argon2id, the key's
    /// first (argon2) check is done here so the measured path is the cached one.
    static func make(kind: Kind) async throws -> AuthSetup {
        var keys = (0..<49).map { index in
            let other = GeneratedAPIKey.generate()
            var entry = APIKeyConfig(name: "team-\(index)", hash: .sha256(digest(of: other.text)), scopes: ["*"])
            entry.id = other.id
            return entry
        }
        let key = GeneratedAPIKey.generate()
        var entry: APIKeyConfig
        switch kind {
        case .sha256:
            entry = APIKeyConfig(name: "benchmarked", hash: .sha256(digest(of: key.text)), scopes: ["*"])
        case .argon2idVerifiedBefore:
            entry = APIKeyConfig(
                name: "benchmarked", hash: .argon2id(try KeyHashText.argon2id(of: key.text)), scopes: ["*"])
        }
        entry.id = key.id
        keys.append(entry)
        let authenticator = APIKeyAuthenticator(config: RelayConfig(apiKeys: keys))
        let header = "Bearer " + key.text
        guard await authenticator.authenticate(authorization: header)?.name == "benchmarked" else {
            throw SetupFailure("the benchmarked key does not authenticate")
        }
        return AuthSetup(authenticator: authenticator, header: header)
    }

    /// The 32 bytes of a key's SHA-256, from the `sha256:<hex>` text the config would hold.
    private static func digest(of key: String) -> [UInt8] {
        let hex = Array(KeyHashText.sha256(of: key).dropFirst("sha256:".count).utf8)
        return stride(from: 0, to: hex.count, by: 2).map {
            UInt8(String(decoding: hex[$0..<($0 + 2)], as: UTF8.self), radix: 16)!
        }
    }
}

struct SetupFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
