import AsyncHTTPClient
import Crypto
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

@testable import RelayCore

/// Runs a stub upstream and Relay in front of it on loopback ports for one test.
struct Harness {
    static let key = "rk-test-key-0123456789"
    let relayURL: String
    let stub: StubUpstream
    let lines: LogLines
    let client: HTTPClient

    static func run(
        configure: (inout RelayConfig) -> Void = { _ in },
        _ body: (Harness) async throws -> Void
    ) async throws {
        let stub = StubUpstream()
        let lines = LogLines()
        let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        var relay: RelayServer?
        var failure: (any Error)?
        try await withThrowingTaskGroup(of: Void.self) { group in
            let stubServer = try await launch(in: &group) { onRunning in
                Application(
                    router: stub.router(),
                    configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                    onServerRunning: { await onRunning($0.localAddress?.port ?? 0) },
                    logger: quietLogger
                )
            }
            var config = testConfig(upstreamPort: stubServer.port)
            configure(&config)
            let server = RelayServer(config: config, sink: LogSink { lines.append(Array($0)) })
            relay = server
            let relayServer = try await launch(in: &group) { onRunning in
                server.makeServer(onListening: onRunning)
            }
            do {
                try await body(
                    Harness(relayURL: "http://127.0.0.1:\(relayServer.port)", stub: stub, lines: lines, client: client))
            } catch {
                failure = error
            }
            await relayServer.services.triggerGracefulShutdown()
            await stubServer.services.triggerGracefulShutdown()
            try await group.waitForAll()
        }
        try await client.shutdown()
        await relay?.gateway.state.shutdown()
        if let failure { throw failure }
    }

    private static let quietLogger = Logger(label: "stub") { _ in SwiftLogNoOpLogHandler() }

    /// Runs `make`'s application in a service group of its own and waits for its port.
    ///
    /// The harness stops it with a graceful shutdown, as `relay serve` does, never by cancelling
    /// it: cancelling a Hummingbird server that holds an accepted connection it has not served yet
    /// traps in SwiftNIO (apple/swift-nio#2637). The graceful shutdown closes the listener and
    /// serves those first; a handler that never ends (a stalled stub) is cancelled after 2 s.
    private static func launch<App: Service>(
        in group: inout ThrowingTaskGroup<Void, any Error>,
        _ make: (@escaping @Sendable (Int) async -> Void) -> App
    ) async throws -> (port: Int, services: ServiceGroup) {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = make { continuation.yield($0) }
        var configuration = ServiceGroupConfiguration(services: [app], logger: quietLogger)
        configuration.maximumGracefulShutdownDuration = .seconds(2)
        let services = ServiceGroup(configuration: configuration)
        group.addTask { try await services.run() }
        var iterator = ports.makeAsyncIterator()
        return (await iterator.next() ?? 0, services)
    }

    static func testConfig(upstreamPort: Int) -> RelayConfig {
        var config = RelayConfig()
        config.server.host = "127.0.0.1"
        config.server.port = 0
        config.server.maxBodyBytes = 4096
        var backend = BackendConfig(name: "local", type: .vllm, baseURL: "http://127.0.0.1:\(upstreamPort)")
        backend.apiKey = "upstream-secret"
        backend.idleTimeout = 0.5
        backend.requestTimeout = 1
        config.backends = ["local": backend]
        for (alias, upstream) in [
            ("chat", "stub-chat"), ("org/chat", "stub-chat"), ("gated", "gated-stream"), ("cut", "cut-stream"),
            ("stall", "stall-stream"), ("no-usage", "no-usage"), ("bad", "fail-400"), ("missing", "fail-404"),
            ("broken", "fail-500"), ("slow", "slow-json"), ("embed", "stub-embed"), ("secret", "stub-chat"),
        ] {
            config.models[alias] = ModelConfig(name: alias, backends: ["local"], upstreamModel: upstream)
        }
        let digest = Array(SHA256.hash(data: Array(key.utf8)))
        config.apiKeys = [
            APIKeyConfig(
                name: "dev",
                hash: .sha256(digest),
                scopes: config.models.keys.filter { $0 != "secret" }
            )
        ]
        return config
    }

    /// Sends a request to Relay and reads the whole answer.
    func send(
        _ path: String,
        method: HTTPMethod = .POST,
        body: String? = nil,
        key: String? = Harness.key,
        headers: [(String, String)] = []
    ) async throws -> (status: Int, headers: HTTPHeaders, body: String) {
        let response = try await start(path, method: method, body: body, key: key, headers: headers)
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), response.headers, String(buffer: bytes))
    }

    func start(
        _ path: String,
        method: HTTPMethod = .POST,
        body: String? = nil,
        key: String? = Harness.key,
        headers: [(String, String)] = []
    ) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: relayURL + path)
        request.method = method
        if let key { request.headers.add(name: "authorization", value: "Bearer \(key)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        return try await client.execute(request, timeout: .seconds(10))
    }
}

/// Log lines Relay wrote, for assertions.
final class LogLines: Sendable {
    private let text = NIOLockedValueBox("")

    func append(_ bytes: [UInt8]) {
        text.withLockedValue { $0 += String(decoding: bytes, as: UTF8.self) }
    }

    var accessLines: [String] {
        text.withLockedValue { $0 }.split(separator: "\n").map(String.init).filter {
            $0.contains("\"msg\":\"request\"")
        }
    }

    var all: String { text.withLockedValue { $0 } }
}

extension LogLines {
    /// Access lines are written off the request path; wait until `count` of them are there.
    func waitForAccessLines(_ count: Int) async throws -> [String] {
        for _ in 0..<200 {
            let lines = accessLines
            if lines.count >= count { return lines }
            try await Task.sleep(for: .milliseconds(10))
        }
        return accessLines
    }
}
