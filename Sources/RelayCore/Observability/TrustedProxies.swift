/// `server.trusted_proxies`, parsed once per config load: the peers whose `X-Forwarded-For`
/// Relay believes for an access line's `client_ip`.
///
/// ```swift
/// let trusted = TrustedProxies(["10.0.0.0/8", "::1"])
/// trusted.contains(IPAddress("10.1.2.3")!)  // true
/// ```
struct TrustedProxies: Sendable {
    private struct Block: Sendable {
        let network: IPAddress
        let prefix: Int
    }

    private let blocks: [Block]

    var isEmpty: Bool { blocks.isEmpty }

    /// Entries are `CIDR.isValid` already (the config loader refuses others); any other is skipped.
    init(_ entries: [String]) {
        blocks = entries.compactMap { entry in
            let parts = entry.split(separator: "/", maxSplits: 1)
            guard let first = parts.first, let network = IPAddress(first) else { return nil }
            let full = network.isV4 ? 32 : 128
            let prefix = parts.count == 2 ? Int(parts[1]) ?? -1 : full
            guard (0...full).contains(prefix) else { return nil }
            return Block(network: network, prefix: prefix)
        }
    }

    func contains(_ address: IPAddress) -> Bool {
        blocks.contains { $0.network.sharesPrefix($0.prefix, with: address) }
    }
}
