/// The keys `relay keys generate` makes: `rk-`, a 12-character key id, then 32 random bytes
/// written as 43 base62 characters, 58 characters in all.
///
/// The id is not secret: it is copied into the config entry (`id:`) so the authenticator finds
/// the one hash to check with a dictionary lookup instead of trying each argon2 hash in turn.
///
/// ```swift
/// let key = GeneratedAPIKey.generate()
/// key.text  // "rk-3fK9xQ2mLp0Z" + 43 more characters
/// key.id    // "3fK9xQ2mLp0Z"
/// ```
package struct GeneratedAPIKey: Sendable {
    static let prefix = "rk-"
    static let idLength = 12
    static let secretBytes = 32
    static let secretLength = 43

    package let id: String
    /// The whole key, as the client sends it. A secret: print it once, never log it.
    package let text: String

    package static func generate() -> GeneratedAPIKey {
        var generator = SystemRandomNumberGenerator()
        return generate(using: &generator)
    }

    package static func generate(using generator: inout some RandomNumberGenerator) -> GeneratedAPIKey {
        let id = Base62.random(count: idLength, using: &generator)
        let secret = (0..<secretBytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return GeneratedAPIKey(id: id, text: prefix + id + Base62.encode(secret, width: secretLength))
    }

    /// The key-id candidates inside a presented key, one per id length in use (config ids may
    /// be 8 to 32 characters; generated ones are 12): the `length` characters after `rk-`.
    static func idCandidates(in key: Substring, lengths: [Int]) -> [Substring] {
        guard key.hasPrefix(prefix) else { return [] }
        let afterPrefix = key.dropFirst(prefix.count)
        return lengths.compactMap { length in
            // A key must have a secret after its id.
            guard afterPrefix.count > length else { return nil }
            let id = afterPrefix.prefix(length)
            return Base62.isBase62(id) ? id : nil
        }
    }
}
