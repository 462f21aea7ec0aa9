/// The SHA-256 digest of a presented key: what Relay's in-memory caches remember instead of
/// the key itself, so a memory dump shows no usable key.
///
/// Hashable so caches can be dictionaries. Comparing digests in variable time is fine here:
/// learning bytes of the SHA-256 of a 256-bit random key does not help find the key.
struct KeyDigest: Hashable, Sendable {
    let bytes: [UInt8]

    init(of key: [UInt8]) {
        self.bytes = key.withUnsafeBytes { SHA256Hash.digest(of: $0) }
    }

    /// The key's bytes hashed where they are: a request's key is not copied to be hashed.
    init(of key: UnsafeRawBufferPointer) {
        self.bytes = SHA256Hash.digest(of: key)
    }

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The first eight bytes, to bucket sha256 config entries.
    var prefix: UInt64 {
        bytes.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// For comparisons against configured hashes, where timing must not tell how many bytes
    /// matched.
    func constantTimeEquals(_ other: [UInt8]) -> Bool {
        guard bytes.count == other.count else { return false }
        var difference: UInt8 = 0
        for index in bytes.indices { difference |= bytes[index] ^ other[index] }
        return difference == 0
    }
}
