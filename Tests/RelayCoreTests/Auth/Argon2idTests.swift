import Testing

@testable import RelayCore

@Suite("argon2id")
struct Argon2idTests {
    /// The reference implementation's own vector (phc-winner-argon2 test.c, argon2id v=0x13):
    /// "password", salt "somesalt", t=2, m=2^16, p=1.
    static let referenceVector =
        "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"
    /// Made with Debian's `argon2` CLI: `echo -n password | argon2 somesalt -id -t 3 -m 16 -p 4 -l 24 -e`.
    static let cliVector = "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$30qzyWwD2lSUUirCQ2HnpzpY0e/8M99L"

    @Test(arguments: [referenceVector, cliVector])
    func verifiesKnownVectors(phc: String) {
        #expect(Argon2id.verify(Array("password".utf8), against: phc))
        #expect(!Argon2id.verify(Array("passwore".utf8), against: phc))
    }

    @Test func malformedStringsNeverMatch() {
        let truncated = String(Self.referenceVector.dropLast(4))
        #expect(!Argon2id.verify(Array("password".utf8), against: truncated))
        #expect(!Argon2id.verify(Array("password".utf8), against: "$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$AAAA"))
        #expect(!Argon2id.verify(Array("password".utf8), against: ""))
    }

    @Test func hashesWithTheGivenParametersAndVerifies() throws {
        let parameters = Argon2id.Parameters(memoryKiB: 64, iterations: 1, parallelism: 1)
        let phc = try Argon2id.hash(Array("rk-secret".utf8), salt: Argon2id.randomSalt(), parameters: parameters)
        #expect(phc.hasPrefix("$argon2id$v=19$m=64,t=1,p=1$"))
        #expect(Argon2id.verify(Array("rk-secret".utf8), against: phc))
        #expect(!Argon2id.verify(Array("rk-secreT".utf8), against: phc))
    }

    @Test func reproducesTheReferenceVectorFromItsSalt() throws {
        let parameters = Argon2id.Parameters(memoryKiB: 65_536, iterations: 2, parallelism: 1)
        let phc = try Argon2id.hash(Array("password".utf8), salt: Array("somesalt".utf8), parameters: parameters)
        #expect(phc == Self.referenceVector)
    }

    @Test func defaultsAreOWASPs() throws {
        #expect(Argon2id.Parameters.owasp == Argon2id.Parameters(memoryKiB: 19_456, iterations: 2, parallelism: 1))
        let phc = try KeyHashText.argon2id(of: "rk-x")
        #expect(phc.hasPrefix("$argon2id$v=19$m=19456,t=2,p=1$"))
        // Loads as a config hash: the loader's PHC checks accept it.
        #expect(Argon2idPHC.problem(with: phc) == nil)
    }

    @Test func impossibleParametersAreATypedError() {
        let parameters = Argon2id.Parameters(memoryKiB: 1, iterations: 1, parallelism: 1)
        #expect(throws: Argon2Error.self) {
            try Argon2id.hash(Array("k".utf8), salt: Argon2id.randomSalt(), parameters: parameters)
        }
    }
}

@Suite("argon2 thread pool verifier")
struct Argon2ThreadPoolVerifierTests {
    @Test func findsTheFirstMatchingHashOffTheCallersThread() async throws {
        let parameters = Argon2id.Parameters(memoryKiB: 8, iterations: 1, parallelism: 1)
        let right = try Argon2id.hash(Array("key".utf8), salt: Argon2id.randomSalt(), parameters: parameters)
        let wrong = try Argon2id.hash(Array("other".utf8), salt: Argon2id.randomSalt(), parameters: parameters)
        let verifier = Argon2ThreadPoolVerifier.shared
        #expect(await verifier.firstMatch(for: Array("key".utf8), among: [wrong, right]) == 1)
        #expect(await verifier.firstMatch(for: Array("nope".utf8), among: [wrong, right]) == nil)
    }
}
