import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import RelayCore
@testable import RelayHTTP

/// The connection's deadlines and its drain, on a virtual clock.
struct ConnectionInboxTests {
    static let headerTimeout = TimeAmount.seconds(10)
    static let bodyTimeout = TimeAmount.seconds(30)

    let channel: EmbeddedChannel
    let inbox: ConnectionInbox

    init() throws {
        channel = EmbeddedChannel()
        inbox = ConnectionInbox(
            eventLoop: channel.embeddedEventLoop, headerTimeout: Self.headerTimeout, bodyTimeout: Self.bodyTimeout,
            writeTimeout: .seconds(30))
        try channel.pipeline.syncOperations.addHandler(inbox)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8080)).wait()
    }

    /// A request without a body: its head and its end.
    static let request = ByteBuffer(
        string: "POST /v1/chat/completions HTTP/1.1\r\nhost: relay\r\ncontent-length: 0\r\n\r\n")
    /// The head of a request whose body is still to come.
    static let head = ByteBuffer(
        string: "POST /v1/chat/completions HTTP/1.1\r\nhost: relay\r\ncontent-length: 100\r\n\r\n")

    private var isOpen: Bool { channel.isActive }

    private func advance(_ amount: TimeAmount) {
        channel.embeddedEventLoop.advanceTime(by: amount)
    }

    private func answer() throws {
        inbox.beginResponse()
        try inbox.endResponse(ByteBuffer(string: "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"))
    }

    @Test func anIdleConnectionClosesAtTheHeaderDeadline() {
        advance(Self.headerTimeout - .milliseconds(1))
        #expect(isOpen)
        advance(.milliseconds(1))
        #expect(!isOpen)
    }

    @Test func aBodyThatDoesNotEndClosesTheConnectionAtTheBodyDeadlineFromItsHead() throws {
        advance(.seconds(5))
        try channel.writeInbound(Self.head)
        try channel.writeInbound(ByteBuffer(string: "{"))
        // Bytes keep coming, but the deadline runs from the head.
        advance(Self.bodyTimeout - .seconds(1))
        try channel.writeInbound(ByteBuffer(string: " "))
        #expect(isOpen)
        advance(.seconds(1))
        #expect(!isOpen)
    }

    @Test func aRequestBeingAnsweredHasNoDeadlineAndTheHeaderDeadlineRestartsAfterIt() throws {
        try channel.writeInbound(Self.request)
        advance(.seconds(300))  // a long stream
        #expect(isOpen)
        try answer()
        advance(Self.headerTimeout - .milliseconds(1))
        #expect(isOpen)
        advance(.milliseconds(1))
        #expect(!isOpen)
    }

    @Test func aKeptAliveConnectionInUseStaysOpen() throws {
        for _ in 0..<5 {
            advance(Self.headerTimeout - .seconds(1))
            try channel.writeInbound(Self.request)
            try answer()
        }
        #expect(isOpen)
    }

    @Test func anIdleConnectionToldToCloseClosesOnlyAfterTheGrace() {
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        advance(ConnectionInbox.quiesceGrace - .milliseconds(1))
        #expect(isOpen)
        advance(.milliseconds(1))
        #expect(!isOpen)
    }

    @Test func aRequestArrivingInTheGraceIsAnsweredAndThenTheConnectionIsDone() throws {
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        try channel.writeInbound(Self.request)
        advance(ConnectionInbox.quiesceGrace * 2)
        #expect(isOpen)
        try answer()
        #expect(inbox.quiescing && inbox.requestsInProgress == 0)
    }

    @Test func aRequestInProgressWhenToldToCloseIsNotCutOff() throws {
        try channel.writeInbound(Self.head)
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        advance(ConnectionInbox.quiesceGrace * 2)
        #expect(isOpen)
        #expect(inbox.quiescing && inbox.requestsInProgress == 1)
    }

    @Test func theClientLeavingIsSignalled() async throws {
        let left = ManagedFlag()
        inbox.watch.onLeave { left.set() }
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(left.isSet)
    }
}

/// A flag set from a `@Sendable` closure.
private final class ManagedFlag: @unchecked Sendable {
    private(set) var isSet = false
    func set() { isSet = true }
}
