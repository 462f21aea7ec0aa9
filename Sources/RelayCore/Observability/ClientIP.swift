/// The client address an access line reports as `client_ip`.
///
/// The connection's peer, unless the peer is a trusted proxy: then `X-Forwarded-For` is read
/// from the right, skipping addresses that are trusted proxies too, and the first untrusted
/// address is the client (what nginx's `real_ip_recursive on` does). Entries left of it were
/// written by the client itself and prove nothing. If every address is trusted, the left-most
/// one is the client; an entry that is not an address ends the walk at the last good one.
enum ClientIP {
    static func resolve(peer: IPAddress?, forwardedFor: String?, trusted: TrustedProxies) -> IPAddress? {
        guard let peer, !trusted.isEmpty, trusted.contains(peer), let forwardedFor else { return peer }
        var client = peer
        for entry in forwardedFor.split(separator: ",").reversed() {
            let trimmed = entry.trimmingSpaces
            // Empty entries (`a,,b` or a trailing comma) carry nothing; skip them like nginx does.
            if trimmed.isEmpty { continue }
            guard let address = IPAddress(forwarded: trimmed) else { return client }
            client = address
            if !trusted.contains(address) { return address }
        }
        return client
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return self[endIndex...]
        }
        return self[first...last]
    }
}
