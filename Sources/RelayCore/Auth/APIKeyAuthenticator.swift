import NIOCore

/// Finds the principal for a presented API key, so that wrong keys stay cheap.
///
/// Built once per config load. The cost of a check, cheapest first:
/// 0. The key that last authenticated on the request's connection (`ConnectionKeyMemo`): a
///    comparison of the key's bytes, when the caller passes the connection's memo.
/// 1. `sha256:` entries: one SHA-256, a bucket lookup and a constant-time comparison.
/// 2. argon2 keys that verified before: the SHA-256 digest of the key is looked up in a bounded
///    cache (the key itself is never stored), so only a key's first request pays for argon2.
/// 3. Otherwise the argon2 hashes the key could match: the one entry whose `id:` is the key id
///    inside the key (`rk-<id><secret>`, as `relay keys generate` makes them), or, for keys
///    without a known id, each argon2 entry that has no `id:`, in turn. A random wrong key
///    matches no id, so with ids on every argon2 entry it costs no argon2 run at all.
/// 4. Before any argon2 run: a bounded cache of recently failed digests, the per-address
///    `FailedKeyThrottle` (argon2 runs are reserved from the client address's budget as a
///    check starts, and refunded when it succeeds), and a cap on checks queued at once. Argon2 itself runs on the
///    verifier's own threads, never on an event loop.
///
/// A refused check answers like a wrong key (401): a distinct status would tell an attacker
/// which of their guesses were actually tried, and SDKs retry 429s by themselves.
///
/// ```swift
/// let authenticator = APIKeyAuthenticator(config: config)
/// let principal = await authenticator.authenticate(authorization: "Bearer rk-…", from: address)
/// ```
package struct APIKeyAuthenticator: Sendable {
    package struct Limits: Sendable {
        /// Verified argon2 keys remembered (only valid keys get in, so at most one per entry).
        var verifiedCapacity = 10_000
        /// Recently failed key digests remembered.
        var failedCapacity = 10_000
        /// Different keys being checked with argon2 at once; more are refused.
        var maximumInFlight = 32
        /// Longer bearer tokens are refused before hashing anything.
        var maximumKeyBytes = 512

        package init() {}
    }

    private struct SHA256Entry: Sendable {
        var digest: [UInt8]
        var principal: Principal
    }

    private struct Argon2Entry: Sendable {
        var phc: String
        var principal: Principal
    }

    /// What an `id:` points at: a generated key names exactly one entry.
    private enum IDTarget: Sendable {
        case sha256
        case argon2(Int)
    }

    private let sha256ByPrefix: [UInt64: [SHA256Entry]]
    private let argon2Entries: [Argon2Entry]
    private let argon2IndexByHash: [String: Int]
    private let targetsByID: [String: IDTarget]
    /// The distinct lengths of configured ids, to find the id inside a presented key.
    private let idLengths: [Int]
    /// argon2 entries without `id:`, tried in turn for keys whose id names no entry.
    private let argon2WithoutID: [Int]
    private let memory: VerificationMemory
    private let limits: Limits
    private let verifier: any Argon2Verifying
    /// Kept across reloads, so editing the config does not wipe an attacker's debt.
    let throttle: FailedKeyThrottle
    /// This authenticator's, so that what a connection remembers of its checks is not taken for
    /// the next one's after a reload (`ConnectionKeyMemo`).
    private let identity = AuthenticatorIdentity()

    /// - Parameter previous: the authenticator this one replaces on a reload: keys it verified
    ///   stay verified while their hash is still configured; keys removed are forgotten.
    package init(
        config: RelayConfig,
        previous: APIKeyAuthenticator? = nil,
        verifier: any Argon2Verifying = Argon2ThreadPoolVerifier.shared,
        throttle: FailedKeyThrottle? = nil,
        limits: Limits = Limits()
    ) {
        var sha256: [UInt64: [SHA256Entry]] = [:]
        var argon2: [Argon2Entry] = []
        var targets: [String: IDTarget] = [:]
        var withoutID: [Int] = []
        for key in config.apiKeys {
            let principal = Principal(key, defaultLimits: config.defaultLimits)
            switch key.hash {
            case .sha256(let digest):
                let entry = SHA256Entry(digest: digest, principal: principal)
                sha256[KeyDigest(bytes: digest).prefix, default: []].append(entry)
                if let id = key.id { targets[id] = .sha256 }
            case .argon2id(let phc):
                if let id = key.id { targets[id] = .argon2(argon2.count) } else { withoutID.append(argon2.count) }
                argon2.append(Argon2Entry(phc: phc, principal: principal))
            }
        }
        var indexByHash: [String: Int] = [:]
        for (index, entry) in argon2.enumerated() { indexByHash[entry.phc] = index }

        self.sha256ByPrefix = sha256
        self.argon2Entries = argon2
        self.argon2IndexByHash = indexByHash
        self.targetsByID = targets
        self.idLengths = Set(targets.keys.map(\.count)).sorted()
        self.argon2WithoutID = withoutID
        self.limits = limits
        self.verifier = verifier
        self.throttle = throttle ?? previous?.throttle ?? FailedKeyThrottle()
        let stillConfigured = previous?.memory.verifiedEntries.filter { indexByHash[$0.phc] != nil } ?? []
        self.memory = VerificationMemory(
            verifiedCapacity: limits.verifiedCapacity, failedCapacity: limits.failedCapacity,
            maximumInFlight: limits.maximumInFlight, verified: stillConfigured.map { ($0.digest, $0.phc) })
    }

    /// The principal for an `Authorization` header value, or `nil` for a missing, unknown or
    /// refused key.
    package func authenticate(authorization: String?, from clientAddress: SocketAddress? = nil) async -> Principal? {
        await authenticate(authorization: authorization, client: ClientAddressKey(clientAddress))
    }

    /// `client`: whom failed keys are counted against (see ``FailedKeyThrottle``). `memo`: the
    /// connection's last key that authenticated, taken without a digest when it is this one.
    func authenticate(
        authorization: String?, client: ClientAddressKey, memo: ConnectionKeyMemo? = nil
    ) async -> Principal? {
        guard let authorization, let key = Self.bearerToken(authorization), !key.isEmpty,
            key.utf8.count <= limits.maximumKeyBytes
        else { return nil }
        var keyText = key
        if let memo, let principal = keyText.withUTF8({ memo.principal(for: $0, checkedBy: identity) }) {
            return principal
        }
        guard let principal = await check(keyText, client: client) else { return nil }
        if let memo { keyText.withUTF8 { memo.remember($0, as: principal, checkedBy: identity) } }
        return principal
    }

    /// The principal whose key `key` is: its digest looked up, or argon2 run against the entries
    /// it could match.
    private func check(_ key: Substring, client: ClientAddressKey) async -> Principal? {
        var keyText = key
        let digest = keyText.withUTF8 { KeyDigest(of: UnsafeRawBufferPointer($0)) }
        if let principal = sha256Principal(for: digest) { return principal }

        let candidates = argon2Candidates(for: key)
        guard !candidates.isEmpty else { return nil }
        let hashes = candidates.map { argon2Entries[$0].phc }
        let keyBytes = Array(key.utf8)
        let outcome = await memory.verify(
            digest,
            mayStart: { throttle.reserve(client, runs: hashes.count) },
            run: { [verifier] in
                await verifier.firstMatch(for: keyBytes, among: hashes).map { hashes[$0] }
            }
        )
        switch outcome {
        case .matched(let phc, let startedByThisRequest):
            if startedByThisRequest { throttle.refund(client, runs: hashes.count) }
            return argon2IndexByHash[phc].map { argon2Entries[$0].principal }
        case .failed, .knownBad, .refused:
            return nil
        }
    }

    private func sha256Principal(for digest: KeyDigest) -> Principal? {
        // The bucket lookup compares digest prefixes, which say nothing about the key itself;
        // the full digest is compared in constant time.
        sha256ByPrefix[digest.prefix]?.first { digest.constantTimeEquals($0.digest) }?.principal
    }

    /// Indices of the argon2 entries `key` could match: the one its id names, else those
    /// without an id. A key whose id names a sha256 entry was already checked and is wrong.
    private func argon2Candidates(for key: Substring) -> [Int] {
        for id in GeneratedAPIKey.idCandidates(in: key, lengths: idLengths) {
            switch targetsByID[String(id)] {
            case .argon2(let index): return [index]
            case .sha256: return []
            case nil: continue
            }
        }
        return argon2WithoutID
    }

    static func bearerToken(_ header: String) -> Substring? {
        // Compared as bytes: `count` and `lowercased()` on the `String` walk grapheme clusters.
        let bytes = header.utf8
        var index = bytes.startIndex
        for expected in "bearer ".utf8 {
            guard index < bytes.endIndex, bytes[index].asciiLowercased == expected else { return nil }
            index = bytes.index(after: index)
        }
        while index < bytes.endIndex, bytes[index] == UInt8(ascii: " ") { index = bytes.index(after: index) }
        guard index < bytes.endIndex else { return nil }
        return header[index...]
    }
}
