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
        var keyArguments = RESPArguments()
        for key in keys { keyArguments.append(key) }
        var otherArguments = RESPArguments()
        for argument in arguments { otherArguments.append(argument) }
        let reply = try await Self.awaitReply(run(script, keys: keyArguments, arguments: otherArguments))
        do {
            return try RESPValue(reply: reply)
        } catch {
            throw .protocolError(error)
        }
    }

    /// Runs `script` atomically on the server, its keys and arguments already written. The future
    /// holds the reply's bytes, to be read in place (`RESPReader`), or fails with a
    /// `RedisClientError` (`.server` for an error reply); it is completed on the event loop of
    /// the connection that carried the call, so what is chained on it runs there at once.
    public func run(
        _ script: RedisScript,
        keys: RESPArguments,
        arguments: RESPArguments
    ) -> EventLoopFuture<ByteBuffer> {
        let byHash = send(encoded: Self.command("EVALSHA", script.sha1, keys: keys, arguments: arguments))
        return byHash.flatMapError { error in
            guard (error as? RedisClientError)?.isServerError("NOSCRIPT") == true else { return byHash }
            return self.send(encoded: Self.command("EVAL", script.source, keys: keys, arguments: arguments))
        }
    }

    private static func command(
        _ name: String,
        _ script: String,
        keys: RESPArguments,
        arguments: RESPArguments
    ) -> ByteBuffer {
        var head = RESPArguments(capacity: 32 + script.utf8.count)
        head.append(name)
        head.append(script)
        head.append(keys.count)
        return RESPCommandEncoder.encode([head, keys, arguments], allocator: ByteBufferAllocator())
    }
}
