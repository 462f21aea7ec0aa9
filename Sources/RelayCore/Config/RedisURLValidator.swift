/// Checks `redis_url`: `redis://[user:pass@]host[:port][/db]`, or `rediss://` for TLS.
///
/// Messages never include the URL: its password is a secret.
struct RedisURLValidator {
    let reader: ConfigReader

    static let shape = "redis://[user:pass@]host[:port][/db]"

    func validate(_ field: ConfigField) -> String? {
        guard let url = reader.string(field) else { return nil }
        if let problem = Self.problem(with: url) {
            reader.report(field.path, problem)
            return nil
        }
        return url
    }

    package static func problem(with url: String) -> String? {
        guard let scheme = ["redis://", "rediss://"].first(where: { url.hasPrefix($0) }) else {
            return "expected \(shape)"
        }
        var rest = Substring(url.dropFirst(scheme.count))
        // The password may itself contain "@", so the host starts after the last one.
        if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
        let hostAndPort = rest.prefix(while: { $0 != "/" })
        let database = rest.dropFirst(hostAndPort.count)
        if let problem = hostAndPortProblem(hostAndPort) { return problem }
        if !database.isEmpty {
            let digits = database.dropFirst()
            guard !digits.isEmpty, digits.count <= 5, digits.allSatisfy({ ("0"..."9").contains($0) }) else {
                return "database must be a number (\(shape))"
            }
        }
        return nil
    }

    private static func hostAndPortProblem(_ text: Substring) -> String? {
        let host: Substring
        let port: Substring?
        if text.hasPrefix("[") {
            // A bracketed IPv6 address: [::1]:6379
            guard let close = text.firstIndex(of: "]") else { return "unterminated IPv6 address in host" }
            host = text[text.index(after: text.startIndex)..<close]
            let afterHost = text[text.index(after: close)...]
            guard afterHost.isEmpty || afterHost.hasPrefix(":") else { return "expected \(shape)" }
            port = afterHost.isEmpty ? nil : afterHost.dropFirst()
        } else {
            let pieces = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            host = pieces[0]
            port = pieces.count == 2 ? pieces[1] : nil
        }
        guard !host.isEmpty, !host.contains(where: { $0.isWhitespace || $0 == "?" || $0 == "#" }) else {
            return "missing or invalid host (\(shape))"
        }
        if let port {
            guard port.count <= 5, port.allSatisfy({ ("0"..."9").contains($0) }), let number = Int(port),
                (1...65535).contains(number)
            else { return "port must be between 1 and 65535" }
        }
        return nil
    }
}
