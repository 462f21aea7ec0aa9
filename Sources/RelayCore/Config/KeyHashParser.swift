/// Parses an API key's `hash`: `sha256:<64 hex digits>` or an argon2id PHC string.
///
/// The value is a secret (a fast SHA-256 of a key can be attacked offline), so no message
/// here ever includes any part of it.
struct KeyHashParser {
    let reader: ConfigReader

    static let sha256Prefix = "sha256:"
    static let argon2idPrefix = "$argon2id$"
    static let expected = "expected \"sha256:<64 hex digits>\" or an argon2id PHC string"
    static let phcShape = "$argon2id$v=19$m=<int>,t=<int>,p=<int>$<b64 salt>$<b64 hash>"

    func parse(_ field: ConfigField) -> KeyHash? {
        guard let text = reader.string(field) else { return nil }
        if text.hasPrefix(Self.sha256Prefix) {
            guard let bytes = Self.hexBytes(text.dropFirst(Self.sha256Prefix.count)), bytes.count == 32 else {
                reader.report(field.path, "expected \"sha256:\" followed by exactly 64 hex digits")
                return nil
            }
            return .sha256(bytes)
        }
        if text.hasPrefix(Self.argon2idPrefix) {
            if let reason = Argon2idPHC.problem(with: text) {
                reader.report(field.path, "malformed argon2id PHC string (\(reason); expected \(Self.phcShape))")
                return nil
            }
            return .argon2id(text)
        }
        reader.report(field.path, Self.expected)
        return nil
    }

    /// A form that is equal for equal hashes, to find two keys sharing one.
    static func canonical(_ hash: KeyHash) -> String {
        switch hash {
        case .sha256(let bytes): sha256Prefix + bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        case .argon2id(let text): text
        }
    }

    /// Case-insensitive; `nil` unless every character is a hex digit and they pair up.
    static func hexBytes(_ text: Substring) -> [UInt8]? {
        let digits = text.unicodeScalars.map { scalar -> UInt8? in
            guard scalar.isASCII, let value = UInt8(String(scalar), radix: 16) else { return nil }
            return value
        }
        guard digits.count.isMultiple(of: 2), !digits.contains(nil) else { return nil }
        let nibbles = digits.compactMap { $0 }
        return stride(from: 0, to: nibbles.count, by: 2).map { nibbles[$0] << 4 | nibbles[$0 + 1] }
    }
}
