import Crypto

/// Finds the principal for a presented API key.
///
/// Built once per config load: the SHA-256 digest of each key, bucketed by its first eight
/// bytes, so a check is one hash, one lookup and one constant-time comparison however many keys
/// there are.
public struct APIKeyAuthenticator: Sendable {
    private struct Entry: Sendable {
        var digest: [UInt8]
        var principal: Principal
    }

    private let entriesByPrefix: [UInt64: [Entry]]

    public init(config: RelayConfig) {
        var map: [UInt64: [Entry]] = [:]
        for key in config.apiKeys {
            if case .sha256(let digest) = key.hash {
                let entry = Entry(digest: digest, principal: Principal(key, defaultLimits: config.defaultLimits))
                map[Self.prefix(digest), default: []].append(entry)
            }
        }
        self.entriesByPrefix = map
    }

    /// The principal for an `Authorization` header value, or `nil` for a missing or unknown key.
    public func authenticate(authorization: String?) -> Principal? {
        guard let authorization, let key = Self.bearerToken(authorization), !key.isEmpty else { return nil }
        let digest = Array(SHA256.hash(data: Array(key.utf8)))
        // The bucket lookup compares digest prefixes, which say nothing about the key itself;
        // the full digest is compared in constant time.
        return entriesByPrefix[Self.prefix(digest)]?.first { Self.constantTimeEqual($0.digest, digest) }?.principal
    }

    static func bearerToken(_ header: String) -> Substring? {
        let scheme = "bearer "
        guard header.count > scheme.count, header.prefix(scheme.count).lowercased() == scheme else { return nil }
        return header.dropFirst(scheme.count).drop(while: { $0 == " " })
    }

    static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }

    private static func prefix(_ digest: [UInt8]) -> UInt64 {
        digest.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }
}
