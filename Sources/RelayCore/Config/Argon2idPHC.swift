/// Checks the structure and numbers of `$argon2id$v=19$m=<int>,t=<int>,p=<int>$<salt>$<hash>`,
/// so a mangled hash is caught at load time rather than as every request with that key failing.
enum Argon2idPHC {
    /// 4 GiB in KiB. A larger cost would let one login exhaust the gateway's memory.
    static let maximumMemoryKiB = 4 * 1024 * 1024
    /// Argon2's own lower bounds (RFC 9106 §3.1): salt ≥ 8 bytes, tag ≥ 4 bytes.
    static let minimumSaltBytes = 8
    static let minimumHashBytes = 4

    /// `nil` when well formed, otherwise what is wrong, without any part of the value.
    package static func problem(with text: String) -> String? {
        let parts = text.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0].isEmpty, parts[1] == "argon2id" else { return "wrong number of fields" }
        guard parts[2] == "v=19" else { return "version must be v=19" }
        guard let parameters = parameters(parts[3]) else { return "parameters must be m=<int>,t=<int>,p=<int>" }
        guard (1...16_777_215).contains(parameters.p) else { return "p must be between 1 and 16777215" }
        guard parameters.t >= 1 else { return "t must be at least 1" }
        guard parameters.m >= 8 * parameters.p else { return "m must be at least 8 × p" }
        guard parameters.m <= maximumMemoryKiB else { return "m must be at most \(maximumMemoryKiB)" }
        guard let salt = base64DecodedCount(parts[4]), salt >= minimumSaltBytes else {
            return "salt must be unpadded base64 of at least \(minimumSaltBytes) bytes"
        }
        guard let hash = base64DecodedCount(parts[5]), hash >= minimumHashBytes else {
            return "hash must be unpadded base64 of at least \(minimumHashBytes) bytes"
        }
        return nil
    }

    /// Exactly `m`, `t`, `p` in that order, as PHC requires, each a plain decimal.
    private static func parameters(_ text: Substring) -> (m: Int, t: Int, p: Int)? {
        let pairs = text.split(separator: ",", omittingEmptySubsequences: false)
        guard pairs.count == 3 else { return nil }
        var values: [Int] = []
        for (pair, name) in zip(pairs, ["m=", "t=", "p="]) {
            let digits = pair.dropFirst(2)
            guard pair.hasPrefix(name), !digits.isEmpty, digits.count <= 10,
                digits.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) }), let value = Int(digits)
            else { return nil }
            values.append(value)
        }
        return (values[0], values[1], values[2])
    }

    /// PHC uses the standard base64 alphabet without padding; returns the decoded length.
    private static func base64DecodedCount(_ text: Substring) -> Int? {
        let isBase64 = text.unicodeScalars.allSatisfy { scalar in
            ("A"..."Z").contains(scalar) || ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar)
                || scalar == "+" || scalar == "/"
        }
        guard isBase64, text.count % 4 != 1 else { return nil }
        return text.count * 3 / 4
    }
}
