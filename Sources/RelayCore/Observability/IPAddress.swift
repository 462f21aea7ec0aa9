import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// An IPv4 or IPv6 address as 128 bits, for matching against `trusted_proxies` and for
/// writing `client_ip` in one canonical spelling.
///
/// IPv4 addresses are kept apart from IPv6 ones (an IPv4 CIDR matches IPv4 addresses only); an
/// IPv4 client on a dual-stack socket (`::ffff:10.0.0.1`) counts as the IPv4 address it is.
struct IPAddress: Hashable, Sendable {
    let isV4: Bool
    /// Network byte order: the first 64 bits, then the last 64 (IPv4: zero, then the 32 bits).
    let high: UInt64
    let low: UInt64

    init(v4 bits: UInt32) {
        isV4 = true
        high = 0
        low = UInt64(bits)
    }

    init(v6 bytes: some Collection<UInt8>) {
        precondition(bytes.count == 16)
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (index, byte) in bytes.enumerated() {
            if index < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
        }
        let mappedV4 = high == 0 && low >> 32 == 0xFFFF
        self.isV4 = mappedV4
        self.high = mappedV4 ? 0 : high
        self.low = mappedV4 ? low & 0xFFFF_FFFF : low
    }

    /// A plain address (`10.0.0.1`, `2001:db8::1`): no port, no brackets, no zone.
    init?(_ text: some StringProtocol) {
        guard !text.isEmpty, text.utf8.count <= 45 else { return nil }
        var buffer = (UInt64(0), UInt64(0))
        let string = String(text)
        if withUnsafeMutableBytes(of: &buffer, { inet_pton(AF_INET, string, $0.baseAddress) }) == 1 {
            let bytes = withUnsafeBytes(of: buffer) { Array($0.prefix(4)) }
            self.init(v4: bytes.reduce(0) { $0 << 8 | UInt32($1) })
        } else if withUnsafeMutableBytes(of: &buffer, { inet_pton(AF_INET6, string, $0.baseAddress) }) == 1 {
            self.init(v6: withUnsafeBytes(of: buffer) { Array($0) })
        } else {
            return nil
        }
    }

    /// An entry of `X-Forwarded-For` as proxies write it: a plain address, `[v6]`, `[v6]:port`
    /// or `v4:port`.
    init?(forwarded entry: Substring) {
        var text = entry
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let rest = text[text.index(after: close)...]
            guard rest.isEmpty || (rest.hasPrefix(":") && rest.dropFirst().allSatisfy({ $0.isASCII && $0.isNumber }))
            else {
                return nil
            }
            text = text[text.index(after: text.startIndex)..<close]
        } else if let colon = text.firstIndex(of: ":"), text.lastIndex(of: ":") == colon {
            // One colon: IPv4 with a port (an IPv6 address has at least two).
            text = text[..<colon]
        }
        self.init(text)
    }

    /// The peer of a connection; nil for Unix sockets.
    init?(_ address: SocketAddress) {
        switch address {
        case .v4(let v4):
            self.init(v4: UInt32(bigEndian: v4.address.sin_addr.s_addr))
        case .v6(let v6):
            self.init(v6: withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) })
        case .unixDomainSocket:
            return nil
        }
    }

    /// Whether the first `length` bits equal `other`'s (same family only).
    func sharesPrefix(_ length: Int, with other: IPAddress) -> Bool {
        guard isV4 == other.isV4 else { return false }
        let bits = isV4 ? length + 96 : length
        func mask(_ count: Int) -> UInt64 { count <= 0 ? 0 : count >= 64 ? .max : ~(UInt64.max >> count) }
        return (high ^ other.high) & mask(bits) == 0 && (low ^ other.low) & mask(bits - 64) == 0
    }

    /// The canonical spelling, as `inet_ntop` writes it: `10.0.0.1`, `2001:db8::1`.
    package var text: String { isV4 ? v4Text : v6Text }

    /// Dotted decimal, written by hand into the string's own storage: the access line spells the
    /// client's address on every request.
    private var v4Text: String {
        String(unsafeUninitializedCapacity: 15) { out in
            var index = 0
            for shift in stride(from: 24, through: 0, by: -8) {
                if shift < 24 {
                    out[index] = UInt8(ascii: ".")
                    index += 1
                }
                let octet = UInt8(truncatingIfNeeded: low >> UInt64(shift))
                if octet >= 100 {
                    out[index] = UInt8(ascii: "0") + octet / 100
                    index += 1
                }
                if octet >= 10 {
                    out[index] = UInt8(ascii: "0") + octet / 10 % 10
                    index += 1
                }
                out[index] = UInt8(ascii: "0") + octet % 10
                index += 1
            }
            return index
        }
    }

    private var v6Text: String {
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in 0..<8 {
            bytes[index] = UInt8(truncatingIfNeeded: high >> (56 - 8 * index))
            bytes[8 + index] = UInt8(truncatingIfNeeded: low >> (56 - 8 * index))
        }
        var out = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let written = bytes.withUnsafeBytes { raw in
            inet_ntop(AF_INET6, raw.baseAddress!, &out, socklen_t(out.count))
        }
        guard written != nil else { return "unknown" }
        return String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
