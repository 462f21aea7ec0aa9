#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Checks `trusted_proxies` entries: an IPv4 or IPv6 address, optionally with a prefix length.
enum CIDR {
    static func isValid(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = parts.first else { return false }
        guard let family = addressFamily(of: String(address)) else { return false }
        guard parts.count == 2 else { return true }
        let prefix = parts[1]
        // Only plain decimal digits: Int("+8") would otherwise accept a sign.
        guard !prefix.isEmpty, prefix.count <= 3, prefix.allSatisfy(\.isASCIIDigit), let length = Int(prefix) else {
            return false
        }
        return length <= (family == AF_INET ? 32 : 128)
    }

    /// Uses the C library's parser: hand-written IPv6 parsing is where bugs live.
    private static func addressFamily(of address: String) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 16)
        if inet_pton(AF_INET, address, &buffer) == 1 { return AF_INET }
        if inet_pton(AF_INET6, address, &buffer) == 1 { return AF_INET6 }
        return nil
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool {
        ("0"..."9").contains(self)
    }
}
