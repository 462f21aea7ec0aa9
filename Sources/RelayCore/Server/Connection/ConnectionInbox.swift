import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// The last handler of a client connection's pipeline: it queues the request parts for the
/// connection's task and writes the task's response parts.
///
/// The connection's task runs on the connection's event loop (``EventLoopExecutor``), so
/// handing a part over is a queue append or one continuation resumed, and a response part goes
/// straight into the pipeline: no async sequence, no writer state machine, no lock. Every method
/// the task calls checks that it runs on the loop; that is what makes the unchecked `Sendable`
/// sound.
final class ConnectionInbox: ChannelDuplexHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// With this many parts waiting for the task, the socket is not read; reading resumes once
    /// fewer than `resumeBelow` are left.
    static let holdReadsAt = 8
    static let resumeBelow = 2

    let eventLoop: any EventLoop
    private var context: ChannelHandlerContext?
    private var parts = CircularBuffer<HTTPRequestPart>(initialCapacity: 4)
    /// Why no part will come after those queued: the connection's input ended or failed.
    private var inputEnd: InputEnd?
    /// The task, waiting for the next part.
    private var reader: UnsafeContinuation<HTTPRequestPart?, any Error>?
    /// A read the channel asked for while the queue was full, done once the task catches up.
    private var readHeld = false
    /// The task, waiting for the connection to take more output.
    private var writer: UnsafeContinuation<Void, any Error>?
    /// The connection is open: set when it becomes active (after the pipeline is built).
    private var isActive = false
    /// A request head was handed over and its `.end` not yet.
    private(set) var bodyPending = false
    /// The last response written has its `.end`.
    private(set) var responseEnded = true

    private enum InputEnd {
        case closed
        case failed(any Error)
    }

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    // MARK: The pipeline's side

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        isActive = context.channel.isActive
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        connectionEnded()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if let reader {
            self.reader = nil
            reader.resume(returning: handOver(part))
        } else {
            parts.append(part)
        }
    }

    func read(context: ChannelHandlerContext) {
        if parts.count >= Self.holdReadsAt {
            readHeld = true
        } else {
            context.read()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event { endInput(.closed) }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // The task sees it after the parts queued before it, and answers or closes.
        endInput(.failed(error))
    }

    func channelActive(context: ChannelHandlerContext) {
        isActive = true
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        connectionEnded()
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, let writer {
            self.writer = nil
            writer.resume()
        }
        context.fireChannelWritabilityChanged()
    }

    private func endInput(_ end: InputEnd) {
        if inputEnd == nil { inputEnd = end }
        guard let reader else { return }
        self.reader = nil
        switch end {
        case .closed: reader.resume(returning: nil)
        case .failed(let error): reader.resume(throwing: error)
        }
    }

    private func connectionEnded() {
        isActive = false
        endInput(.closed)
        if let writer {
            self.writer = nil
            writer.resume(throwing: ChannelError.ioOnClosedChannel)
        }
    }

    // MARK: The connection task's side

    /// The next request part; `nil` when the client's input has ended.
    func next() async throws -> HTTPRequestPart? {
        eventLoop.preconditionInEventLoop()
        if let part = parts.popFirst() {
            resumeReadingIfCaughtUp()
            return handOver(part)
        }
        switch inputEnd {
        case .closed: return nil
        case .failed(let error): throw error
        case nil: return try await withUnsafeThrowingContinuation { reader = $0 }
        }
    }

    /// The whole body of the request just handed over, when all of it has arrived already (the
    /// usual case: a small body comes in the same read as its head); `nil` when some is still to come.
    func takeArrivedBody() -> ByteBuffer? {
        eventLoop.preconditionInEventLoop()
        guard bodyPending, let end = parts.firstIndex(where: { if case .end = $0 { true } else { false } })
        else { return nil }
        var body: ByteBuffer?
        for _ in 0..<parts.distance(from: parts.startIndex, to: end) {
            guard case .body(var buffer) = parts.removeFirst() else { continue }
            if body == nil { body = buffer } else { body!.writeBuffer(&buffer) }
        }
        _ = handOver(parts.removeFirst())
        resumeReadingIfCaughtUp()
        return body ?? ByteBuffer()
    }

    private func handOver(_ part: HTTPRequestPart) -> HTTPRequestPart {
        switch part {
        case .head: bodyPending = true
        case .end: bodyPending = false
        case .body: break
        }
        return part
    }

    private func resumeReadingIfCaughtUp() {
        guard readHeld, parts.count < Self.resumeBelow, let context else { return }
        readHeld = false
        context.read()
    }

    /// Queues a response part; `flush` sends what is queued.
    func write(_ part: HTTPResponsePart, flush: Bool) throws {
        eventLoop.preconditionInEventLoop()
        guard isActive, let context else { throw ChannelError.ioOnClosedChannel }
        switch part {
        case .head: responseEnded = false
        case .end: responseEnded = true
        case .body: break
        }
        context.write(wrapOutboundOut(part), promise: nil)
        if flush { context.flush() }
    }

    /// Returns once the connection takes more output: a slow client holds the task here
    /// instead of letting its answer pile up in memory.
    func waitUntilWritable() async throws {
        eventLoop.preconditionInEventLoop()
        guard let context, isActive else { throw ChannelError.ioOnClosedChannel }
        if context.channel.isWritable { return }
        try await withUnsafeThrowingContinuation { writer = $0 }
    }

    /// Ends the connection's output (the client reads to the end, then closes) and waits for the
    /// connection to close; a full close if the output cannot end alone.
    func closeOutput() async {
        eventLoop.preconditionInEventLoop()
        guard let context, isActive else { return }
        let channel = context.channel
        let closed = context.eventLoop.makePromise(of: Void.self)
        context.close(mode: .output, promise: closed)
        do {
            try await closed.futureResult.get()
        } catch {
            channel.close(promise: nil)
        }
        try? await channel.closeFuture.get()
    }
}
