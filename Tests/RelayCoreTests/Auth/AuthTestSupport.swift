import NIOConcurrencyHelpers

@testable import RelayCore

/// Real argon2, counting runs: how tests see what a request cost. Cheap parameters keep the
/// tests fast; `delay` keeps a run in flight long enough to overlap requests.
final class CountingVerifier: Argon2Verifying {
    private let counter = NIOLockedValueBox(0)
    let delay: Duration

    init(delay: Duration = .zero) {
        self.delay = delay
    }

    var runs: Int { counter.withLockedValue { $0 } }

    func firstMatch(for key: [UInt8], among hashes: [String]) async -> Int? {
        if delay > .zero { try? await Task.sleep(for: delay) }
        for (index, hash) in hashes.enumerated() {
            counter.withLockedValue { $0 += 1 }
            if Argon2id.verify(key, against: hash) { return index }
        }
        return nil
    }
}

/// A config of argon2 and sha256 keys, built in code (the loader is tested elsewhere).
struct AuthFixture {
    static let cheap = Argon2id.Parameters(memoryKiB: 8, iterations: 1, parallelism: 1)

    var config = RelayConfig()
    /// The plaintext key of each entry, by entry name.
    var keys: [String: String] = [:]

    /// Adds a generated key with an argon2 hash; `withID: false` leaves the entry's `id:` out.
    @discardableResult
    mutating func addArgon2(_ name: String, withID: Bool = true) throws -> String {
        let key = GeneratedAPIKey.generate()
        let phc = try Argon2id.hash(Array(key.text.utf8), salt: Argon2id.randomSalt(), parameters: Self.cheap)
        var entry = APIKeyConfig(name: name, hash: .argon2id(phc), scopes: ["*"])
        if withID { entry.id = key.id }
        config.apiKeys.append(entry)
        keys[name] = key.text
        return key.text
    }

    /// Adds a key from elsewhere (no `rk-` id inside) with an argon2 hash and no `id:`.
    @discardableResult
    mutating func addForeignArgon2(_ name: String) throws -> String {
        var generator = SystemRandomNumberGenerator()
        let key = "sk-foreign-\(name)-" + Base62.random(count: 20, using: &generator)
        let phc = try Argon2id.hash(Array(key.utf8), salt: Argon2id.randomSalt(), parameters: Self.cheap)
        config.apiKeys.append(APIKeyConfig(name: name, hash: .argon2id(phc), scopes: ["*"]))
        keys[name] = key
        return key
    }

    @discardableResult
    mutating func addSHA256(_ name: String, withID: Bool = false) -> String {
        let key = GeneratedAPIKey.generate()
        let digest = KeyDigest(of: Array(key.text.utf8)).bytes
        var entry = APIKeyConfig(name: name, hash: .sha256(digest), scopes: ["*"])
        if withID { entry.id = key.id }
        config.apiKeys.append(entry)
        keys[name] = key.text
        return key.text
    }
}

extension APIKeyAuthenticator {
    /// The principal's name for `key`, as a bearer token from `address`.
    func name(for key: String, from address: String = "192.0.2.1") async throws -> String? {
        await authenticate(authorization: "Bearer \(key)", from: try .init(ipAddress: address, port: 40_000))?.name
    }
}

/// A wrong key that looks generated: `rk-`, an id no entry has, a secret.
func randomWrongKey() -> String {
    GeneratedAPIKey.generate().text
}
