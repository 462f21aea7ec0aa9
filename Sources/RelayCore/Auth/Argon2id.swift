import CArgon2

/// argon2id through the reference C library: verifying PHC strings from the config and making
/// new ones for `relay keys hash --argon2`.
///
/// Both calls are slow on purpose (tens of milliseconds, MiBs of memory) and block their
/// thread: call them off the event loops (see `Argon2ThreadPoolVerifier`).
///
/// ```swift
/// let phc = try Argon2id.hash(Array("rk-…".utf8), salt: Argon2id.randomSalt())
/// Argon2id.verify(Array("rk-…".utf8), against: phc)  // true
/// ```
package enum Argon2id {
    /// The cost of new hashes. OWASP's first argon2id recommendation (Password Storage Cheat
    /// Sheet): 19 MiB, 2 passes, 1 lane, paid once per key and process thanks to the
    /// verified-key cache.
    package struct Parameters: Sendable, Equatable {
        var memoryKiB: UInt32
        var iterations: UInt32
        var parallelism: UInt32

        static let owasp = Parameters(memoryKiB: 19_456, iterations: 2, parallelism: 1)
    }

    /// 16-byte salts and 32-byte tags, the sizes RFC 9106 recommends.
    static let saltBytes = 16
    static let tagBytes = 32

    /// Whether `key` matches the PHC string. A malformed string is simply no match (the loader
    /// rejects those before they get here); the library compares tags in constant time.
    static func verify(_ key: [UInt8], against phc: String) -> Bool {
        key.withUnsafeBytes { keyBytes in
            argon2id_verify(phc, keyBytes.baseAddress, keyBytes.count) == ARGON2_OK.rawValue
        }
    }

    /// A PHC string `$argon2id$v=19$m=…,t=…,p=…$<salt>$<tag>` for `key`.
    static func hash(
        _ key: [UInt8],
        salt: [UInt8],
        parameters: Parameters = .owasp
    ) throws(Argon2Error) -> String {
        let length = argon2_encodedlen(
            parameters.iterations, parameters.memoryKiB, parameters.parallelism, UInt32(salt.count),
            UInt32(tagBytes), Argon2_id)
        var encoded = [CChar](repeating: 0, count: length)
        let status = key.withUnsafeBytes { keyBytes in
            salt.withUnsafeBytes { saltBytes in
                argon2id_hash_encoded(
                    parameters.iterations, parameters.memoryKiB, parameters.parallelism,
                    keyBytes.baseAddress, keyBytes.count, saltBytes.baseAddress, saltBytes.count,
                    tagBytes, &encoded, length)
            }
        }
        guard status == ARGON2_OK.rawValue else {
            throw Argon2Error(message: String(cString: argon2_error_message(status)))
        }
        return String(decoding: encoded.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Fresh random salt from the system's CSPRNG (getrandom on Linux).
    static func randomSalt() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<saltBytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }
}

/// The library refused to hash (bad parameters, out of memory); the message is the library's.
package struct Argon2Error: Error, Sendable, CustomStringConvertible {
    let message: String
    package var description: String { "argon2id: \(message)" }
}
