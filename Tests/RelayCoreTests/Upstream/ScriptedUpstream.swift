import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// An HTTP/1.1 server whose every request is answered as `script` says, given which connection
/// it arrived on and which request on that connection it is (both counted from 0): what a real
/// server does only by chance, such as closing a kept-alive connection as it is reused.
final class ScriptedUpstream: Sendable {
    enum Action: Sendable {
        /// A JSON answer, `Connection: close` when `keepAlive` is false. This server does not close
        /// the socket itself and NIO ignores what arrives after such an answer, so a client that
        /// reuses the connection anyway sends a request that is recorded but never answered.
        case answer(body: String, keepAlive: Bool)
        /// Closes the connection without answering.
        case close
        /// These bytes as the answer, as they are; the connection is closed after them if
        /// `thenClose`.
        case raw(String, thenClose: Bool)
    }

    struct Seen: Sendable {
        var connection: Int
        var head: HTTPRequestHead
        var body: String
    }

    private final class Log: Sendable {
        let seen = NIOLockedValueBox<[Seen]>([])
    }

    private let channel: any Channel
    private let log = Log()

    var port: Int { channel.localAddress?.port ?? 0 }
    var requests: [Seen] { log.seen.withLockedValue { $0 } }
    var connections: Int { Set(requests.map(\.connection)).count }

    init(script: @escaping @Sendable (_ connection: Int, _ request: Int) -> Action) async throws {
        let log = self.log
        let opened = Counter()
        self.channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let connection = opened.next()
                    // No pipelining assistance: a raw answer does not pass its state machine.
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withPipeliningAssistance: false)
                    try channel.pipeline.syncOperations.addHandler(
                        Handler(connection: connection, script: script) { seen in
                            log.seen.withLockedValue { $0.append(seen) }
                        }
                    )
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
    }

    func stop() async throws {
        try await channel.close()
    }

    private final class Counter: Sendable {
        private let count = Atomic<Int>(0)

        func next() -> Int { count.add(1, ordering: .relaxed).newValue - 1 }
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let connection: Int
        let script: @Sendable (Int, Int) -> Action
        let record: @Sendable (Seen) -> Void
        var served = 0
        var head: HTTPRequestHead?
        var body = ""

        init(
            connection: Int, script: @escaping @Sendable (Int, Int) -> Action,
            record: @escaping @Sendable (Seen) -> Void
        ) {
            self.connection = connection
            self.script = script
            self.record = record
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body = ""
            case .body(let buffer):
                body += String(buffer: buffer)
            case .end:
                guard let head else { return }
                record(Seen(connection: connection, head: head, body: body))
                let action = script(connection, served)
                served += 1
                switch action {
                case .close:
                    context.close(promise: nil)
                case .raw(let bytes, let thenClose):
                    // Written from the encoder's place in the pipeline: straight to the socket.
                    guard
                        let encoder = try? context.pipeline.syncOperations.context(
                            handlerType: HTTPResponseEncoder.self)
                    else { return }
                    let written = encoder.writeAndFlush(NIOAny(ByteBuffer(string: bytes)))
                    if thenClose {
                        let channel = context.channel
                        written.whenComplete { _ in channel.close(promise: nil) }
                    }
                case .answer(let text, let keepAlive):
                    var headers: HTTPHeaders = [
                        "content-type": "application/json", "content-length": "\(text.utf8.count)",
                    ]
                    if !keepAlive { headers.add(name: "connection", value: "close") }
                    let response = HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)
                    context.write(wrapOutboundOut(.head(response)), promise: nil)
                    context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil)
                    context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                }
            }
        }
    }
}
