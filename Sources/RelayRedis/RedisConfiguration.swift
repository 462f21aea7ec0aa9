import RelayWire

/// Where and how to reach one standalone Redis server.
///
/// ```swift
/// var configuration = try RedisConfiguration(url: "redis://:secret@127.0.0.1:6379/2")
/// configuration.commandTimeout = .milliseconds(250)
/// ```
public struct RedisConfiguration: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var username: String?
    /// Never logged.
    public var password: String?
    public var database: Int
    /// Connections kept open and used in turn; one per event loop is a good default.
    public var connectionCount: Int = 2
    public var connectTimeout: Duration = .seconds(1)
    /// How long a command may wait for its answer, AUTH and SELECT included.
    public var commandTimeout: Duration = .seconds(1)
    /// Waits between failed connection attempts double from the first to the largest.
    public var firstReconnectDelay: Duration = .milliseconds(50)
    public var maxReconnectDelay: Duration = .seconds(2)
    /// `nil`: plain TCP. Set by a `rediss://` URL.
    public var tls: RedisTLSConfiguration? = nil

    public init(
        host: String = "127.0.0.1",
        port: Int = 6379,
        username: String? = nil,
        password: String? = nil,
        database: Int = 0
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
    }

    /// Reads `redis://[user:pass@]host[:port][/db]`, or `rediss://` for TLS with the system's
    /// trust store; user and password may be percent-encoded.
    public init(url: String) throws(RedisURLError) {
        guard let scheme = ["redis://", "rediss://"].first(where: { url.hasPrefix($0) }) else {
            throw .unsupportedScheme
        }
        var rest = Substring(url.dropFirst(scheme.count))
        self.init()
        if scheme == "rediss://" { tls = RedisTLSConfiguration() }
        // The password may itself contain "@", so the host starts after the last one.
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            let user = userInfo.prefix(while: { $0 != ":" })
            let password = userInfo.dropFirst(user.count + 1)
            self.username = user.isEmpty ? nil : try Self.percentDecoded(user)
            self.password = userInfo.contains(":") ? try Self.percentDecoded(password) : nil
        }
        let hostAndPort = rest.prefix(while: { $0 != "/" })
        let path = rest.dropFirst(hostAndPort.count).dropFirst()
        try readHostAndPort(hostAndPort)
        if !path.isEmpty {
            guard let database = Int(path), database >= 0 else { throw .invalidDatabase }
            self.database = database
        }
    }

    private mutating func readHostAndPort(_ text: Substring) throws(RedisURLError) {
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw .invalidHost }
            host = String(text[text.index(after: text.startIndex)..<close])
            let afterHost = text[text.index(after: close)...]
            guard afterHost.isEmpty || afterHost.hasPrefix(":") else { throw .invalidHost }
            portText = afterHost.isEmpty ? nil : afterHost.dropFirst()
        } else {
            let pieces = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            host = String(pieces[0])
            portText = pieces.count == 2 ? pieces[1] : nil
        }
        guard !host.isEmpty else { throw .invalidHost }
        if let portText {
            guard let port = Int(portText), (1...65535).contains(port) else { throw .invalidPort }
            self.port = port
        }
    }

    private static func percentDecoded(_ text: Substring) throws(RedisURLError) -> String {
        guard let decoded = PercentDecoding.decode(text) else { throw .invalidPercentEncoding }
        return decoded
    }
}

/// Why a `redis://` URL could not be read. Never carries the URL: it may hold a password.
public enum RedisURLError: Error, Sendable, Equatable {
    case unsupportedScheme
    case invalidHost
    case invalidPort
    case invalidDatabase
    case invalidPercentEncoding
}
