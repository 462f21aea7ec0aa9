import NIOCore
import Testing

@testable import RelayCore

@Suite("API key authenticator")
struct APIKeyAuthenticatorTests {
    func authenticator(
        _ fixture: AuthFixture,
        verifier: CountingVerifier,
        throttle: FailedKeyThrottle = FailedKeyThrottle(),
        limits: APIKeyAuthenticator.Limits = .init()
    ) -> APIKeyAuthenticator {
        APIKeyAuthenticator(config: fixture.config, verifier: verifier, throttle: throttle, limits: limits)
    }

    @Test func aKeyIDSelectsTheOneHashToCheck() async throws {
        var fixture = AuthFixture()
        for index in 0..<20 { try fixture.addArgon2("key\(index)") }
        let verifier = CountingVerifier()
        let auth = authenticator(fixture, verifier: verifier)

        #expect(try await auth.name(for: fixture.keys["key13"]!) == "key13")
        #expect(verifier.runs == 1)
    }

    @Test func randomWrongKeysCostNoArgon2RunWhenEveryEntryHasAnID() async throws {
        var fixture = AuthFixture()
        for index in 0..<20 { try fixture.addArgon2("key\(index)") }
        let verifier = CountingVerifier()
        let auth = authenticator(fixture, verifier: verifier)

        for _ in 0..<200 { #expect(try await auth.name(for: randomWrongKey()) == nil) }
        #expect(try await auth.name(for: "not-even-rk") == nil)
        #expect(verifier.runs == 0)
    }

    @Test func aWrongSecretBehindARealIDCostsOneRun() async throws {
        var fixture = AuthFixture()
        let key = try fixture.addArgon2("dev")
        let verifier = CountingVerifier()
        let auth = authenticator(fixture, verifier: verifier)

        let forged = String(key.dropLast(3)) + "abc"
        #expect(try await auth.name(for: forged) == nil)
        #expect(verifier.runs == 1)
    }

    @Test func aVerifiedKeyIsRememberedSoOnlyItsFirstRequestPays() async throws {
        var fixture = AuthFixture()
        try fixture.addArgon2("dev")
        try fixture.addForeignArgon2("legacy")
        let verifier = CountingVerifier()
        let auth = authenticator(fixture, verifier: verifier)

        for _ in 0..<5 {
            #expect(try await auth.name(for: fixture.keys["dev"]!) == "dev")
            #expect(try await auth.name(for: fixture.keys["legacy"]!) == "legacy")
        }
        #expect(verifier.runs == 2)
    }

    @Test func keysWithoutIDsAreTriedInTurn() async throws {
        var fixture = AuthFixture()
        for index in 0..<3 { try fixture.addForeignArgon2("legacy\(index)") }
        // A generated key whose entry was pasted without its id still works.
        try fixture.addArgon2("pasted", withID: false)
        let verifier = CountingVerifier()
        let auth = authenticator(fixture, verifier: verifier)

        #expect(try await auth.name(for: fixture.keys["legacy1"]!) == "legacy1")
        #expect(verifier.runs == 2)
        #expect(try await auth.name(for: fixture.keys["pasted"]!) == "pasted")
        #expect(verifier.runs == 2 + 4)
    }

    @Test func aFailedKeyIsNotCheckedAgain() async throws {
        var fixture = AuthFixture()
        for index in 0..<3 { try fixture.addForeignArgon2("legacy\(index)") }
        let verifier = CountingVerifier()
        let auth = authenticator(fixture, verifier: verifier)

        let wrong = "sk-wrong-but-repeated"
        #expect(try await auth.name(for: wrong) == nil)
        #expect(verifier.runs == 3)
        for index in 1...3 { #expect(try await auth.name(for: wrong, from: "198.51.100.\(index)") == nil) }
        #expect(verifier.runs == 3)
    }

    @Test func repeatedFailuresThrottleTheAddressNotOthers() async throws {
        var fixture = AuthFixture()
        for index in 0..<3 { try fixture.addForeignArgon2("legacy\(index)") }
        try fixture.addArgon2("cached")
        let shaKey = fixture.addSHA256("plain")
        let clock = ManualRateLimitClock()
        var policy = FailedKeyThrottle.Policy()
        policy.burst = 4
        policy.refillPerSecond = 1
        let throttle = FailedKeyThrottle(policy: policy, clock: clock)
        let verifier = CountingVerifier()
        let auth = authenticator(fixture, verifier: verifier, throttle: throttle)
        #expect(try await auth.name(for: fixture.keys["cached"]!, from: "203.0.113.9") == "cached")
        let runsBefore = verifier.runs

        // Balance 4: two scans of three hashes put the address 2 runs in debt.
        #expect(try await auth.name(for: "sk-guess-1", from: "203.0.113.9") == nil)
        #expect(try await auth.name(for: "sk-guess-2", from: "203.0.113.9") == nil)
        #expect(verifier.runs == runsBefore + 6)
        for index in 3..<50 { #expect(try await auth.name(for: "sk-guess-\(index)", from: "203.0.113.9") == nil) }
        #expect(verifier.runs == runsBefore + 6)
        // A throttled valid first-time key answers like a wrong one ...
        #expect(try await auth.name(for: fixture.keys["legacy0"]!, from: "203.0.113.9") == nil)
        // ... but cheap checks still pass, and other addresses are not affected.
        #expect(try await auth.name(for: fixture.keys["cached"]!, from: "203.0.113.9") == "cached")
        #expect(try await auth.name(for: shaKey, from: "203.0.113.9") == "plain")
        #expect(try await auth.name(for: fixture.keys["legacy2"]!, from: "203.0.113.10") == "legacy2")

        // -2 + 3 s × 1/s = 1: one more attempt.
        clock.advance(milliseconds: 3000)
        #expect(try await auth.name(for: fixture.keys["legacy0"]!, from: "203.0.113.9") == "legacy0")
    }

    @Test func concurrentWrongKeysFromOneAddressCannotOverspend() async throws {
        var fixture = AuthFixture()
        for index in 0..<3 { try fixture.addForeignArgon2("legacy\(index)") }
        let verifier = CountingVerifier(delay: .milliseconds(100))
        let auth = authenticator(fixture, verifier: verifier)

        try await withThrowingTaskGroup(of: String?.self) { group in
            for index in 0..<10 { group.addTask { try await auth.name(for: "sk-guess-\(index)") } }
            for try await name in group { #expect(name == nil) }
        }
        // Each scan reserves its 3 runs as it starts: balances 10, 7, 4 and 1 let four scans
        // start, the fifth finds -2, whatever the timing of the ten requests.
        #expect(verifier.runs == 12)
    }

    @Test func mixedSHA256AndArgon2Entries() async throws {
        var fixture = AuthFixture()
        let plain = fixture.addSHA256("plain")
        let plainWithID = fixture.addSHA256("plain-id", withID: true)
        try fixture.addArgon2("strong")
        try fixture.addForeignArgon2("legacy")
        let verifier = CountingVerifier()
        let auth = authenticator(fixture, verifier: verifier)

        #expect(try await auth.name(for: plain) == "plain")
        #expect(try await auth.name(for: plainWithID) == "plain-id")
        #expect(verifier.runs == 0)
        #expect(try await auth.name(for: fixture.keys["strong"]!) == "strong")
        #expect(try await auth.name(for: fixture.keys["legacy"]!) == "legacy")
        // A wrong secret behind a sha256 entry's id needs no argon2 at all.
        let runs = verifier.runs
        #expect(try await auth.name(for: String(plainWithID.dropLast(2)) + "zz") == nil)
        #expect(verifier.runs == runs)
    }

    @Test func concurrentRequestsWithOneKeyShareOneRun() async throws {
        var fixture = AuthFixture()
        try fixture.addArgon2("dev")
        let verifier = CountingVerifier(delay: .milliseconds(100))
        let auth = authenticator(fixture, verifier: verifier)
        let key = fixture.keys["dev"]!

        let names = try await withThrowingTaskGroup(of: String?.self) { group in
            for _ in 0..<10 { group.addTask { try await auth.name(for: key) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(names == Array(repeating: "dev", count: 10))
        #expect(verifier.runs == 1)
    }

    @Test func tooManyChecksAtOnceAreRefused() async throws {
        var fixture = AuthFixture()
        try fixture.addForeignArgon2("legacy")
        let verifier = CountingVerifier(delay: .milliseconds(200))
        var limits = APIKeyAuthenticator.Limits()
        limits.maximumInFlight = 2
        let auth = authenticator(fixture, verifier: verifier, limits: limits)

        try await withThrowingTaskGroup(of: String?.self) { group in
            for index in 0..<8 {
                group.addTask { try await auth.name(for: "sk-guess-\(index)", from: "192.0.2.\(index + 1)") }
            }
            for try await name in group { #expect(name == nil) }
        }
        #expect(verifier.runs == 2)
    }

    @Test func aReloadKeepsVerifiedKeysThatAreStillConfiguredAndForgetsRemovedOnes() async throws {
        var fixture = AuthFixture()
        try fixture.addArgon2("stays")
        try fixture.addArgon2("goes")
        let verifier = CountingVerifier()
        let old = authenticator(fixture, verifier: verifier)
        #expect(try await old.name(for: fixture.keys["stays"]!) == "stays")
        #expect(try await old.name(for: fixture.keys["goes"]!) == "goes")

        var reloaded = fixture.config
        reloaded.apiKeys.removeAll { $0.name == "goes" }
        reloaded.apiKeys[0].name = "renamed"
        let new = APIKeyAuthenticator(config: reloaded, previous: old, verifier: verifier)
        #expect(new.throttle === old.throttle)
        #expect(try await new.name(for: fixture.keys["stays"]!) == "renamed")
        #expect(verifier.runs == 2)
        #expect(try await new.name(for: fixture.keys["goes"]!) == nil)
    }

    @Test func aConnectionRemembersItsKeyAndChecksAnyOtherInFull() async throws {
        var fixture = AuthFixture()
        let plain = fixture.addSHA256("plain")
        let other = fixture.addSHA256("other")
        let legacy = try fixture.addForeignArgon2("legacy")
        let verifier = CountingVerifier()
        let auth = authenticator(fixture, verifier: verifier)
        let memo = ConnectionKeyMemo()
        let client = ClientAddressKey(nil)
        func name(_ key: String) async -> String? {
            await auth.authenticate(authorization: "Bearer \(key)", client: client, memo: memo)?.name
        }
        #expect(await name(plain) == "plain")
        #expect(await name(plain) == "plain")
        #expect(await name(String(plain.dropLast()) + (plain.last == "x" ? "y" : "x")) == nil)
        #expect(await name(other) == "other")
        #expect(await name(legacy) == "legacy")
        #expect(await name(legacy) == "legacy")
        // The wrong key was tried against the entry without an id, and `legacy` checked once.
        #expect(verifier.runs == 2)
        #expect(await name(plain) == "plain")
    }

    @Test func whatAConnectionRememberedIsCheckedAgainAfterAReload() async throws {
        var fixture = AuthFixture()
        let goes = fixture.addSHA256("goes")
        fixture.addSHA256("stays")
        let old = authenticator(fixture, verifier: CountingVerifier())
        let memo = ConnectionKeyMemo()
        let client = ClientAddressKey(nil)
        #expect(await old.authenticate(authorization: "Bearer \(goes)", client: client, memo: memo)?.name == "goes")
        var reloaded = fixture.config
        reloaded.apiKeys.removeAll { $0.name == "goes" }
        let new = APIKeyAuthenticator(config: reloaded, previous: old, verifier: CountingVerifier())
        #expect(await new.authenticate(authorization: "Bearer \(goes)", client: client, memo: memo) == nil)
    }

    @Test(arguments: [nil, "", "Bearer", "Bearer ", "Bearer    ", "Basic abc", "bearer", "Bearerx abc", "Bear"])
    func missingOrMalformedHeadersAreRefused(header: String?) async {
        let auth = APIKeyAuthenticator(config: AuthFixture().config, verifier: CountingVerifier())
        #expect(await auth.authenticate(authorization: header) == nil)
    }

    @Test func theSchemeIsCaseInsensitiveAndOverlongTokensAreRefused() async throws {
        var fixture = AuthFixture()
        let key = fixture.addSHA256("plain")
        try fixture.addForeignArgon2("legacy")
        let verifier = CountingVerifier()
        let auth = authenticator(fixture, verifier: verifier)
        #expect(await auth.authenticate(authorization: "bEaReR  \(key)")?.name == "plain")
        #expect(await auth.authenticate(authorization: "Bearer " + String(repeating: "a", count: 513)) == nil)
        #expect(verifier.runs == 0)
    }

    @Test func theTokenIsWhatFollowsTheSchemeAndItsSpaces() {
        #expect(APIKeyAuthenticator.bearerToken("Bearer rk-abc") == "rk-abc")
        #expect(APIKeyAuthenticator.bearerToken("BEARER   rk abc ") == "rk abc ")
        #expect(APIKeyAuthenticator.bearerToken("bearer é-key") == "é-key")
        #expect(APIKeyAuthenticator.bearerToken("Bearer\trk-abc") == nil)
    }
}
