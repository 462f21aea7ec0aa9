/// Why a Redis command did not get an answer.
public enum RedisClientError: Error, Sendable, Equatable {
    /// Redis answered with an error reply (`ERR ...`, `NOSCRIPT ...`, `WRONGPASS ...`).
    case server(String)
    /// No connection could be made (refused, unreachable, connect timeout, AUTH or SELECT failed).
    /// While a connection is backing off after such a failure, commands fail at once with this.
    case connectionFailed(String)
    /// The connection closed before the answer arrived; the command may or may not have run.
    case connectionClosed
    /// No answer within the command timeout; the command may still run.
    case timeout
    /// The reply stream could not be read; the connection was closed.
    case protocolError(RESPDecodingError)
    /// The client was shut down.
    case shutDown
}

extension RedisClientError {
    /// `true` for error replies that start with `code` (`NOSCRIPT`, `WRONGPASS`, ...).
    public func isServerError(_ code: String) -> Bool {
        if case .server(let message) = self { return message.hasPrefix(code) }
        return false
    }

    /// What went wrong, in words that never hold Redis's address or credentials (a connection
    /// error can name the host), for errors that reach logs or clients.
    public var reasonWithoutAddress: String {
        switch self {
        case .server(let message): "Redis answered with an error: \(message)"
        case .connectionFailed: "Redis cannot be reached"
        case .connectionClosed: "the connection to Redis closed before it answered"
        case .timeout: "Redis did not answer in time"
        case .protocolError: "Redis's answer could not be read"
        case .shutDown: "the Redis client is shut down"
        }
    }
}
