import NIOCore

/// What failed-key throttling counts per: the client's IPv4 address, or its IPv6 /64 (one
/// host usually owns a whole /64 and could otherwise rotate through it freely).
///
/// ```swift
/// ClientAddressKey(try SocketAddress(ipAddress: "2001:db8::1", port: 1))  // "6:20010db800000000"
/// ```
struct ClientAddressKey: Hashable, Sendable {
    let text: String

    /// Without an address (tests, Unix sockets) every such client shares one key.
    static let unknown = ClientAddressKey(text: "unknown")

    private init(text: String) {
        self.text = text
    }

    init(_ address: SocketAddress?) {
        switch address {
        case .v4(let v4):
            self.text = "4:" + Self.hex(withUnsafeBytes(of: v4.address.sin_addr) { Array($0) })
        case .v6(let v6):
            let bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
            // An IPv4 client on a dual-stack socket arrives as ::ffff:a.b.c.d: count it as IPv4.
            if bytes.prefix(10).allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
                self.text = "4:" + Self.hex(Array(bytes.suffix(4)))
            } else {
                self.text = "6:" + Self.hex(Array(bytes.prefix(8)))
            }
        case .unixDomainSocket, .none:
            self = .unknown
        }
    }

    /// The same key from the client's address as Relay resolved it (behind trusted proxies, the
    /// address they forwarded), so clients behind one proxy are not throttled together.
    init(_ address: IPAddress) {
        if address.isV4 {
            self.text = "4:" + Self.hex(address.low, digits: 8)
        } else {
            self.text = "6:" + Self.hex(address.high, digits: 16)
        }
    }

    private static func hex(_ value: UInt64, digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
