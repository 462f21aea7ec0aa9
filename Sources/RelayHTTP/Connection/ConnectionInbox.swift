import NIOCore

/// The handler of a client connection (after TLS, if any): it reads the requests from the
/// socket's bytes (``HTTP1RequestParser``), queues their parts for the connection's task, writes
/// the task's response bytes, and keeps the connection's deadlines and its drain.
///
/// The connection's task runs on the connection's event loop (``EventLoopExecutor``), so
/// handing a part over is a queue append or one continuation resumed, and response bytes go
/// straight to the socket: no async sequence, no writer state machine, no lock, and no handler
/// between the bytes and the task to wrap and unwrap each part. Every method the task calls
/// checks that it runs on the loop; that is what makes the unchecked `Sendable` sound.
package final class ConnectionInbox: ChannelDuplexHandler, RemovableChannelHandler, @unchecked Sendable {
    package typealias InboundIn = ByteBuffer
    package typealias OutboundIn = ByteBuffer
    package typealias OutboundOut = ByteBuffer

    /// With this many parts waiting for the task, the socket is not read; reading resumes once
    /// fewer than `resumeBelow` are left.
    static let holdReadsAt = 8
    static let resumeBelow = 2
    /// How long an idle connection told to close (the listener closing at the end of the drain)
    /// stays open for a request already on its way. Closing at once would lose a request a
    /// balancer sent just before the listener closed, which it must not send again; it gets an
    /// answer (with `Connection: close`, as every answer while draining) instead.
    static let quiesceGrace = TimeAmount.seconds(1)

    let eventLoop: any EventLoop
    /// Tells the request in progress when the client leaves.
    package let watch = ClientConnectionWatch()
    private var context: ChannelHandlerContext?
    private var parser = HTTP1RequestParser()
    private var parts = CircularBuffer<HTTP1RequestPart>(initialCapacity: 4)
    /// Why no part will come after those queued: the connection's input ended or failed.
    private var inputEnd: InputEnd?
    /// The task, waiting for the next part.
    private var reader: UnsafeContinuation<HTTP1RequestPart?, any Error>?
    /// A read the channel asked for while the queue was full, done once the task catches up.
    private var readHeld = false
    /// The task, waiting for the connection to take more output.
    private var writer: UnsafeContinuation<Void, any Error>?
    /// The connection is open: set when it becomes active (after the pipeline is built).
    private var isActive = false
    /// A request head was handed over and its `.end` not yet.
    package private(set) var bodyPending = false
    /// The last response begun has ended.
    package private(set) var responseEnded = true
    /// The connection closes once no request is in progress (the drain).
    package private(set) var quiescing = false
    private var deadlines: ConnectionDeadlines
    /// One timer for the deadlines: when it fires it closes the connection, or sets itself again
    /// for the deadline in force then, so a request costs no timer of its own.
    private var deadlineCheck: (task: Scheduled<Void>, at: NIODeadline)?
    private var quiesceGraceEnd: Scheduled<Void>?
    /// How long `waitUntilWritable` waits before it gives the client up and closes the connection.
    private let writeTimeout: TimeAmount

    private enum InputEnd {
        case closed
        case failed(any Error)
    }

    package init(eventLoop: any EventLoop, headerTimeout: TimeAmount, bodyTimeout: TimeAmount, writeTimeout: TimeAmount)
    {
        self.eventLoop = eventLoop
        self.writeTimeout = writeTimeout
        self.deadlines = ConnectionDeadlines(headerTimeout: headerTimeout, bodyTimeout: bodyTimeout, now: eventLoop.now)
    }

    package var requestsInProgress: Int { deadlines.requestsInProgress }

    // MARK: The pipeline's side

    package func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { becameActive() }
    }

    package func handlerRemoved(context: ChannelHandlerContext) {
        connectionEnded()
        self.context = nil
    }

    package func channelActive(context: ChannelHandlerContext) {
        becameActive()
        context.fireChannelActive()
    }

    private func becameActive() {
        guard !isActive else { return }
        isActive = true
        deadlines = ConnectionDeadlines(
            headerTimeout: deadlines.headerTimeout, bodyTimeout: deadlines.bodyTimeout, now: eventLoop.now)
        checkDeadlinesInTime()
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // After bytes that are not HTTP/1.1, nothing more is read: the task answers 400 and closes.
        guard inputEnd == nil else { return }
        parser.read(unwrapInboundIn(data))
        do {
            while let part = try parser.next() { received(part) }
        } catch {
            endInput(.failed(error))
        }
    }

    private func received(_ part: HTTP1RequestPart) {
        switch part {
        case .head:
            deadlines.headRead(at: eventLoop.now)
            checkDeadlinesInTime()
            // A request arriving in the drain's grace is answered; the connection closes after it.
            quiesceGraceEnd?.cancel()
            quiesceGraceEnd = nil
        case .end: deadlines.bodyRead(at: eventLoop.now)
        case .body: break
        }
        if let reader {
            self.reader = nil
            reader.resume(returning: handOver(part))
        } else {
            parts.append(part)
        }
    }

    package func read(context: ChannelHandlerContext) {
        if parts.count >= Self.holdReadsAt {
            readHeld = true
        } else {
            context.read()
        }
    }

    package func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case ChannelEvent.inputClosed:
            // HTTP clients do not half-close while they wait: the end of the input counts as
            // leaving, as for nginx (`proxy_ignore_client_abort off`).
            watch.clientLeft()
            endInput(.closed)
        case is ChannelShouldQuiesceEvent:
            quiesce(context)
        default:
            break
        }
        context.fireUserInboundEventTriggered(event)
    }

    package func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // The task sees it after the parts queued before it, and answers or closes.
        endInput(.failed(error))
    }

    package func channelInactive(context: ChannelHandlerContext) {
        connectionEnded()
        context.fireChannelInactive()
    }

    package func channelWritabilityChanged(context: ChannelHandlerContext) {
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
        watch.clientLeft()
        deadlineCheck?.task.cancel()
        deadlineCheck = nil
        quiesceGraceEnd?.cancel()
        quiesceGraceEnd = nil
        endInput(.closed)
        if let writer {
            self.writer = nil
            writer.resume(throwing: ChannelError.ioOnClosedChannel)
        }
    }

    // MARK: Deadlines and the drain

    /// Makes sure the timer fires by the deadline in force, if there is one.
    private func checkDeadlinesInTime() {
        guard isActive, let deadline = deadlines.current else { return }
        if let check = deadlineCheck {
            if check.at <= deadline { return }
            check.task.cancel()
        }
        let task = eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(deadline: deadline) { [self] in
            deadlineCheck = nil
            guard let deadline = deadlines.current else { return }  // set again when the answer ends
            if deadline <= eventLoop.now {
                context?.close(promise: nil)
            } else {
                checkDeadlinesInTime()
            }
        }
        deadlineCheck = (task, deadline)
    }

    private func quiesce(_ context: ChannelHandlerContext) {
        guard !quiescing else { return }
        quiescing = true
        guard requestsInProgress == 0 else { return }  // the task closes after the answer
        quiesceGraceEnd = eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: Self.quiesceGrace) {
            [self] in
            quiesceGraceEnd = nil
            if requestsInProgress == 0 { self.context?.close(promise: nil) }
        }
    }

    // MARK: The connection task's side

    /// The next request part; `nil` when the client's input has ended.
    package func next() async throws -> HTTP1RequestPart? {
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
    package func takeArrivedBody() -> ByteBuffer? {
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

    private func handOver(_ part: HTTP1RequestPart) -> HTTP1RequestPart {
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

    package var allocator: ByteBufferAllocator { context?.channel.allocator ?? ByteBufferAllocator() }

    /// A response begins: until ``endResponse(_:)`` the connection cannot answer another.
    package func beginResponse() {
        eventLoop.preconditionInEventLoop()
        responseEnded = false
    }

    /// Queues response bytes; `flush` sends what is queued.
    package func write(_ bytes: ByteBuffer, flush: Bool) throws {
        eventLoop.preconditionInEventLoop()
        guard isActive, let context else { throw ChannelError.ioOnClosedChannel }
        context.write(wrapOutboundOut(bytes), promise: nil)
        if flush { context.flush() }
    }

    /// Sends the response's last bytes (if any) with what is queued; the connection is idle again
    /// unless another request is already in.
    package func endResponse(_ last: ByteBuffer?) throws {
        eventLoop.preconditionInEventLoop()
        guard isActive, let context else { throw ChannelError.ioOnClosedChannel }
        if let last, last.readableBytes > 0 { context.write(wrapOutboundOut(last), promise: nil) }
        context.flush()
        responseEnded = true
        deadlines.answerEnded(at: eventLoop.now)
        checkDeadlinesInTime()
    }

    /// Returns once the connection takes more output: a slow client holds the task here
    /// instead of letting its answer pile up in memory.
    func waitUntilWritable() async throws {
        eventLoop.preconditionInEventLoop()
        guard let context, isActive else { throw ChannelError.ioOnClosedChannel }
        if context.channel.isWritable { return }
        // A client that stops reading would otherwise hold its request, and what that holds,
        // for as long as it keeps the connection open.
        let giveUp = scheduleWriteGiveUp()
        defer { giveUp.cancel() }
        try await withUnsafeThrowingContinuation { writer = $0 }
    }

    /// Closes the connection if the writer still waits after the write timeout.
    private func scheduleWriteGiveUp() -> Scheduled<Void> {
        eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: writeTimeout) { [self] in
            guard let writer else { return }
            self.writer = nil
            writer.resume(throwing: ClientStoppedReading())
            context?.close(promise: nil)
        }
    }

    /// The client read nothing for the write timeout while a response waited to be written.
    struct ClientStoppedReading: Error {}

    /// Ends the connection's output (the client reads to the end, then closes) and waits for the
    /// connection to close; a full close if the output cannot end alone.
    package func closeOutput() async {
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
