import NIOCore

/// A Lua script run with `EVALSHA`, falling back to `EVAL` (which also caches it on the server)
/// when the server does not know it yet (`NOSCRIPT`: first use, a restart, `SCRIPT FLUSH`).
///
/// ```swift
/// let increment = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")
/// let total = try await client.run(increment, keys: ["counter"], arguments: ["5"])
/// ```
public struct RedisScript: Sendable, Equatable {
    public let source: String
    /// The script's SHA-1 in hex, the name `EVALSHA` knows it by.
    public let sha1: String

    public init(_ source: String) {
        self.source = source
        self.sha1 = SHA1.hexDigest(source)
    }
}

extension RedisClient {
    /// Runs `script` atomically on the server.
    public func run(
        _ script: RedisScript,
        keys: [String],
        arguments: [String]
    ) async throws(RedisClientError) -> RESPValue {
        let tail = [String(keys.count)] + keys + arguments
        do {
            return try await send(["EVALSHA", script.sha1] + tail)
        } catch let error where error.isServerError("NOSCRIPT") {
            return try await send(["EVAL", script.source] + tail)
        }
    }
}
