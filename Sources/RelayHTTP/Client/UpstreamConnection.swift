import NIOCore

/// One HTTP/1.1 connection to a backend, bound to the event loop that opened it. It serves one
/// exchange at a time and goes back to its pool between them.
final class UpstreamConnection: Sendable {
    let channel: any Channel
    private let handler: NIOLoopBound<UpstreamConnectionHandler>

    init(channel: any Channel, handler: NIOLoopBound<UpstreamConnectionHandler>) {
        self.channel = channel
        self.handler = handler
    }

    var eventLoop: any EventLoop { channel.eventLoop }

    /// Sends an encoded request (`UpstreamRequestEncoder`); its answer goes to `exchange`, which
    /// is asked to end itself once `deadline` has passed (`UpstreamExchange.checkDeadline`).
    func send(_ request: ByteBuffer, toHEAD: Bool, deadline: NIODeadline, for exchange: UpstreamExchange) {
        if eventLoop.inEventLoop {
            handler.value.send(request, toHEAD: toHEAD, deadline: deadline, for: exchange)
        } else {
            eventLoop.execute {
                self.handler.value.send(request, toHEAD: toHEAD, deadline: deadline, for: exchange)
            }
        }
    }

    /// `exchange`'s deadline moved to `deadline`.
    func watchDeadline(_ deadline: NIODeadline, for exchange: UpstreamExchange) {
        if eventLoop.inEventLoop {
            handler.value.watchDeadline(deadline, for: exchange)
        } else {
            eventLoop.execute { self.handler.value.watchDeadline(deadline, for: exchange) }
        }
    }

    func resumeReading(for exchange: UpstreamExchange) {
        if eventLoop.inEventLoop {
            handler.value.resumeReading(for: exchange)
        } else {
            eventLoop.execute { self.handler.value.resumeReading(for: exchange) }
        }
    }

    /// Closing is how an answer is abandoned: the backend sees its client gone and stops
    /// generating.
    func close() {
        channel.close(promise: nil)
    }
}
