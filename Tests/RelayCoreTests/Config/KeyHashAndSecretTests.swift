import Foundation
import Testing

@testable import RelayCore

@Suite("Key hashes and secrets")
struct KeyHashAndSecretTests {
    static let validArgon2 = "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG"

    func keyConfig(hash: String) -> String {
        baseBackends + """
            models:
              m: {backend: gpu}
            api_keys:
              - name: k
                hash: '\(hash)'
                scopes: [m]
            """
    }

    @Test func sha256IsDecodedCaseInsensitively() throws {
        let upper = "sha256:" + String(repeating: "AB", count: 32)
        let config = try parseValid(keyConfig(hash: upper))
        #expect(config.apiKeys.first?.hash == .sha256(Array(repeating: 0xAB, count: 32)))
    }

    @Test func argon2idIsKeptAsWritten() throws {
        let config = try parseValid(keyConfig(hash: Self.validArgon2))
        #expect(config.apiKeys.first?.hash == .argon2id(Self.validArgon2))
        // Unquoted in YAML too: the "$" signs are not interpolation.
        let unquoted = keyConfig(hash: Self.validArgon2).replacingOccurrences(of: "'", with: "")
        #expect(try parseValid(unquoted).apiKeys.first?.hash == .argon2id(Self.validArgon2))
    }

    @Test(arguments: [
        "sha256:9f86d0",
        "sha256:" + String(repeating: "g", count: 64),
        "sha256:" + String(repeating: "a", count: 65),
    ])
    func malformedSHA256(hash: String) {
        #expect(
            problemLines(keyConfig(hash: hash)) == [
                #"api_keys[0].hash: expected "sha256:" followed by exactly 64 hex digits"#
            ]
        )
    }

    @Test(arguments: [
        "9f86d081884c7d659a2feaa0c55ad015", "md5:abc", "$argon2i$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$aGFzaGhhc2g", "",
    ])
    func unrecognisedHash(hash: String) {
        #expect(
            problemLines(keyConfig(hash: hash))
                == [#"api_keys[0].hash: expected "sha256:<64 hex digits>" or an argon2id PHC string"#]
        )
    }

    @Test(arguments: [
        ("$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ", "wrong number of fields"),
        ("$argon2id$v=16$m=65536,t=3,p=4$c29tZXNhbHQ$aGFzaGhhc2g", "version must be v=19"),
        ("$argon2id$v=19$t=3,m=65536,p=4$c29tZXNhbHQ$aGFzaGhhc2g", "parameters must be m=<int>,t=<int>,p=<int>"),
        ("$argon2id$v=19$m=64k,t=3,p=4$c29tZXNhbHQ$aGFzaGhhc2g", "parameters must be m=<int>,t=<int>,p=<int>"),
        ("$argon2id$v=19$m=65536,t=0,p=4$c29tZXNhbHQ$aGFzaGhhc2g", "t must be at least 1"),
        ("$argon2id$v=19$m=65536,t=3,p=0$c29tZXNhbHQ$aGFzaGhhc2g", "p must be between 1 and 16777215"),
        ("$argon2id$v=19$m=16,t=3,p=4$c29tZXNhbHQ$aGFzaGhhc2g", "m must be at least 8 × p"),
        ("$argon2id$v=19$m=9999999999,t=3,p=4$c29tZXNhbHQ$aGFzaGhhc2g", "m must be at most 4194304"),
        ("$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaGhhc2g", "salt must be unpadded base64 of at least 8 bytes"),
        ("$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ=$aGFzaGhhc2g", "salt must be unpadded base64 of at least 8 bytes"),
        ("$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$a!b", "hash must be unpadded base64 of at least 4 bytes"),
    ])
    func malformedArgon2id(hash: String, reason: String) {
        let message =
            "malformed argon2id PHC string (\(reason); expected $argon2id$v=19$m=<int>,t=<int>,p=<int>$<b64 salt>$<b64 hash>)"
        #expect(problems(keyConfig(hash: hash)) == [ConfigProblem(path: "api_keys[0].hash", message: message)])
    }

    @Test func secretsNeverAppearInMessages() {
        let yaml = """
            server:
              port: sk-SECRET-pasted-into-the-wrong-key-0123456789abcdef
            redis_url: rediss://:SECRETPW@cache:99999
            backends:
              a: {type: openai, base_url: "ftp://user:SECRETPW@h", api_key: [SECRET-in-a-list]}
              b: {type: vllm, base_url: "http://h", api_key: "${SECRET_REF"}
            models:
              m: {backend: b}
            api_keys:
              - {name: k1, hash: "sha256:deadbeefSECRET", scopes: [m]}
              - {name: k2, hash: "plain-SECRET-key", scopes: [m]}
              - {name: k3, hash: "$argon2id$v=19$m=1,t=1,p=1$SECRETSALTxx$SECRETHASHxx", scopes: [m]}
              - {name: k4, hash: "sha256:\(String(repeating: "5ec2e7", count: 10))5ec2", scopes: [m]}
              - {name: k5, hash: "sha256:\(String(repeating: "5ec2e7", count: 10))5ec2", scopes: [m]}
            """
        let found = problemLines(yaml, environment: [:])
        #expect(found.count == 9)
        for line in found {
            #expect(!line.contains("SECRET"), "\(line)")
            #expect(!line.contains("deadbeef"), "\(line)")
            #expect(!line.contains("5ec2e7"), "\(line)")
        }
        let redis = problemLines("redis_url: redis://:SECRETPW@cache:notaport")
        #expect(redis == ["redis_url: port must be between 1 and 65535"])
    }

    /// A value from the environment is named by its variable in messages, never repeated.
    @Test func interpolatedValuesAreNotRepeatedInMessages() {
        let yaml = """
            server:
              port: ${PORT}
              drain_delay_s: ${DELAY}
            log:
              format: ${FORMAT}
            backends:
              b:
                type: vllm
                base_url: http://h
                max_concurrency: 2${TOKEN}
            models:
              m: {backend: b}
            api_keys:
              - {name: k, hash: "sha256:\(String(repeating: "ab", count: 32))", scopes: [m]}
            """
        let environment = ["PORT": "99999", "DELAY": "-5", "FORMAT": "SECRET-format", "TOKEN": "SECRET-token"]
        let found = problemLines(yaml, environment: environment)
        #expect(found.count == 4, "\(found)")
        for line in found {
            #expect(!line.contains("SECRET") && !line.contains("99999") && !line.contains("-5"), "\(line)")
            #expect(line.contains("${"), "\(line)")
        }
    }
}
