/// The config's `hash:` value for a key, as `relay keys hash` and `relay keys generate` print it.
///
/// ```swift
/// KeyHashText.sha256(of: "rk-…")                      // "sha256:9f86d0…"
/// try KeyHashText.argon2id(of: "rk-…")                // "$argon2id$v=19$m=19456,t=2,p=1$…"
/// ```
package enum KeyHashText {
    package static func sha256(of key: String) -> String {
        let digest = Array(key.utf8).withUnsafeBytes { SHA256Hash.digest(of: $0) }
        return "sha256:" + digest.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    package static func argon2id(
        of key: String,
        parameters: Argon2id.Parameters = .owasp
    ) throws(Argon2Error) -> String {
        try Argon2id.hash(Array(key.utf8), salt: Argon2id.randomSalt(), parameters: parameters)
    }

    /// Why `key` could never authenticate, or `nil`. Keys travel in an HTTP header, which
    /// cannot carry control characters and loses surrounding whitespace.
    package static func problem(with key: String) -> String? {
        if key.isEmpty { return "the key is empty" }
        if key.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            return "the key contains a line break or another control character"
        }
        if key.first == " " || key.last == " " { return "the key starts or ends with a space" }
        return nil
    }
}
