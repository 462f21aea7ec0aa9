import NIOCore

/// What failed-key throttling counts per: the client's IPv4 address, or its IPv6 /64 (one
/// host usually owns a whole /64 and could otherwise rotate through it freely). Kept as the
/// address's bits, not as text: one is made for every request.
///
/// ```swift
/// ClientAddressKey(try SocketAddress(ipAddress: "2001:db8::1", port: 1)).text  // "6:20010db800000000"
/// ```
struct ClientAddressKey: Hashable, Sendable {
    private enum Family: Hashable {
        case v4, v6, unknown
    }

    private let family: Family
    /// The IPv4 address, or the IPv6 address's first 64 bits.
    private let bits: UInt64

    /// Without an address (tests, Unix sockets) every such client shares one key.
    static let unknown = ClientAddressKey(family: .unknown, bits: 0)

    private init(family: Family, bits: UInt64) {
        self.family = family
        self.bits = bits
    }

    /// An IPv4 client on a dual-stack socket arrives as ::ffff:a.b.c.d and is counted as IPv4.
    init(_ address: SocketAddress?) {
        self = address.flatMap(IPAddress.init).map(ClientAddressKey.init) ?? .unknown
    }

    /// The same key from the client's address as Relay resolved it (behind trusted proxies, the
    /// address they forwarded), so clients behind one proxy are not throttled together.
    init(_ address: IPAddress) {
        self.init(family: address.isV4 ? .v4 : .v6, bits: address.isV4 ? address.low : address.high)
    }

    /// `4:` and eight hex digits, `6:` and sixteen, or `unknown`.
    package var text: String {
        switch family {
        case .v4: "4:" + Self.hex(bits, digits: 8)
        case .v6: "6:" + Self.hex(bits, digits: 16)
        case .unknown: "unknown"
        }
    }

    private static func hex(_ value: UInt64, digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}
