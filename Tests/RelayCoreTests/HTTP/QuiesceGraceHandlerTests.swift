import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing

@testable import RelayCore

struct QuiesceGraceHandlerTests {
    /// What gets past the handler, in order: request heads and quiesce events.
    final class Recorder: ChannelInboundHandler {
        typealias InboundIn = HTTPRequestPart
        var seen: [String] = []

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            if case .head = unwrapInboundIn(data) { seen.append("head") }
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if event is ChannelShouldQuiesceEvent { seen.append("quiesce") }
        }
    }

    let recorder = Recorder()
    let channel: EmbeddedChannel

    init() throws {
        channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers([QuiesceGraceHandler(), recorder])
    }

    static let head = HTTPRequestPart.head(
        HTTPRequest(method: .post, scheme: nil, authority: nil, path: "/v1/chat/completions"))

    @Test func anIdleConnectionIsToldToCloseOnlyAfterTheGrace() {
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        channel.embeddedEventLoop.advanceTime(by: QuiesceGraceHandler.grace - .milliseconds(1))
        #expect(recorder.seen == [])
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(recorder.seen == ["quiesce"])
    }

    @Test func aRequestArrivingInTheGraceIsPassedOnBeforeTheQuiesce() throws {
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        try channel.writeInbound(Self.head)
        #expect(recorder.seen == ["head", "quiesce"])
        channel.embeddedEventLoop.advanceTime(by: QuiesceGraceHandler.grace * 2)
        #expect(recorder.seen == ["head", "quiesce"])
    }

    @Test func aRequestInProgressGetsTheQuiesceAtOnce() throws {
        try channel.writeInbound(Self.head)
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(recorder.seen == ["head", "quiesce"])
    }

    @Test func onceTheAnswerHasEndedTheConnectionIsIdleAgain() throws {
        try channel.writeInbound(Self.head)
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(recorder.seen == ["head"])
        channel.embeddedEventLoop.advanceTime(by: QuiesceGraceHandler.grace)
        #expect(recorder.seen == ["head", "quiesce"])
    }
}
