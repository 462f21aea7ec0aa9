import Foundation
import Logging
import RelayRedis

#if canImport(Glibc)
    import Glibc
#endif

/// A `redis-server` of the test's own on a free local port, stopped when the test is done.
///
/// Tests that need no server of their own use `RedisTestServer.sharedURL()`: CI's
/// `$RELAY_TEST_REDIS_URL` when set, else a server started here.
public final class RedisTestServer: @unchecked Sendable {
    public let port: Int
    private let extraArguments: [String]
    private var process: Process?

    public init(arguments: [String] = []) throws {
        self.port = try Self.freePort()
        self.extraArguments = arguments
        try start()
    }

    deinit { stop() }

    public var url: String { "redis://127.0.0.1:\(port)/0" }

    public func start() throws {
        let process = Process()
        // A shell watches over the server: it stops it when told to, and also when the test
        // process is gone, so a crashed or interrupted test run leaves no server behind. SIGKILL,
        // because a server started from the test process inherits its blocked SIGTERM.
        let watchdog = """
            /usr/bin/redis-server "$@" & server=$!
            trap 'kill -9 $server 2>/dev/null; wait $server; exit 0' TERM
            while kill -0 \(ProcessInfo.processInfo.processIdentifier) 2>/dev/null && kill -0 $server 2>/dev/null; do
                sleep 0.2
            done
            kill -9 $server 2>/dev/null; wait $server
            """
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments =
            ["-c", watchdog, "redis-server"]
            + [
                "--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no", "--loglevel",
                "warning",
            ]
            + extraArguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        try waitUntilReady()
    }

    public func stop() {
        guard let process, process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
        self.process = nil
    }

    /// Polls with a bare TCP connect: the server is ready once it accepts.
    private func waitUntilReady() throws {
        for _ in 0..<100 {
            if Self.accepts(port: port) { return }
            usleep(20_000)
        }
        throw TestServerError.didNotStart
    }

    public static func sharedURL() throws -> String {
        if let url = ProcessInfo.processInfo.environment["RELAY_TEST_REDIS_URL"], !url.isEmpty { return url }
        return try shared.get().url
    }

    private static let shared: Result<RedisTestServer, any Error> = Result { try RedisTestServer() }

    enum TestServerError: Error { case didNotStart, noFreePort }

    public static func freePort() throws -> Int {
        let socketDescriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketDescriptor >= 0 else { throw TestServerError.noFreePort }
        defer { close(socketDescriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(socketDescriptor, pointer, length) == 0 && getsockname(socketDescriptor, pointer, &length) == 0
            }
        }
        guard bound else { throw TestServerError.noFreePort }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func accepts(port: Int) -> Bool {
        let socketDescriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketDescriptor >= 0 else { return false }
        defer { close(socketDescriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socketDescriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}

/// A client for tests: short timeouts so a broken test fails fast.
public func testClient(url: String, configure: (inout RedisConfiguration) -> Void = { _ in }) throws -> RedisClient {
    var configuration = try RedisConfiguration(url: url)
    configuration.commandTimeout = .seconds(5)
    configuration.connectTimeout = .seconds(1)
    configure(&configuration)
    return RedisClient(configuration: configuration, logger: Logger(label: "relay.redis.test"))
}
