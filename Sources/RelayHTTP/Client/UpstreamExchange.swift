import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOSSL
import RelayWire

/// One HTTP call to a backend, read as a sequence of events under a deadline Relay controls: a
/// timer on the event loop ends the call when it stalls waiting for the first byte, the whole
/// answer, or the next chunk of a stream (`extendDeadlineOnProgress`). The timer is the
/// connection's (`UpstreamConnectionHandler`), set again only when it fires early; a call that
/// waits for a new connection has one of its own until then. Ending a call before its
/// answer is complete closes the upstream connection, so the backend stops generating.
///
/// The connection's handler hands the upstream's head and body parts to the exchange on the
/// event loop; they are queued here for the request's task, which reads them with `next()`. No
/// second task and no generic stream sit between the two, which matters most for streams, where
/// this is paid per chunk.
package final class UpstreamExchange: @unchecked Sendable {
    package enum Event: Sendable {
        /// The fields as the backend sent them (`UpstreamHeaders.response` picks those passed on).
        case head(status: Int, headers: HeadFields)
        case chunk(ByteBuffer)
    }

    /// Bytes queued for the reader past which the upstream is not read until the reader catches
    /// up: a slow client slows the upstream instead of growing Relay's memory.
    private static let queueLimit = 256 * 1024

    /// How many times a request is sent again on a new connection when a kept-alive one was
    /// closed by the backend just as it was reused, before any byte of an answer.
    private static let resendLimit = 2

    private struct State {
        var events: [Event] = []
        var nextEvent = 0
        var queuedBytes = 0
        /// How the answer ended, once it has; the reader sees it after the queued events.
        var end: Result<Void, UpstreamFailure>?
        var reader: UnsafeContinuation<Event?, any Error>?
        /// The upstream is not read until the reader drains the queue below `queueLimit`.
        var paused = false
        /// The connection carrying the answer until it ends; whoever takes it parks or closes it.
        var connection: UpstreamConnection?
        /// The connection had served an answer before this one.
        var reused = false
        var receivedHead = false
        var resends = 0
        // The deadline.
        var deadline: NIODeadline
        var idle: TimeAmount?
        var phase: String
        var finished = false
        var clientLeft = false
        /// The call's own timer, while it waits for a new connection.
        var timer: Scheduled<Void>?
        /// Run once when the answer ends, however it ends (`onEnd`).
        var onEnd: (@Sendable () -> Void)?

        mutating func takeEvent() -> Event? {
            guard nextEvent < events.count else { return nil }
            let event = events[nextEvent]
            nextEvent += 1
            if nextEvent == events.count {
                events.removeAll(keepingCapacity: true)
                nextEvent = 0
            }
            if case .chunk(let buffer) = event { queuedBytes -= buffer.readableBytes }
            return event
        }
    }

    private let state: NIOLockedValueBox<State>
    private let pool: UpstreamConnectionPool
    /// The request's bytes, sent again as they are if a reused connection turns out closed
    /// (empty, and never sent, if it cannot be encoded).
    private let request: ByteBuffer
    private let toHEAD: Bool
    private let eventLoop: any EventLoop

    package convenience init(pool: UpstreamConnectionPool, request: UpstreamRequest, timeout: TimeAmount, phase: String)
    {
        self.init(pool: pool, request: request, deadline: .now() + timeout, phase: phase)
    }

    /// `deadline` from a time the caller read already: a request reads the clock as few times as it can.
    package init(pool: UpstreamConnectionPool, request: UpstreamRequest, deadline: NIODeadline, phase: String) {
        self.pool = pool
        self.eventLoop = pool.eventLoopForCall()
        let encoded = UpstreamRequestEncoder.encode(request, allocator: ByteBufferAllocator())
        self.request = encoded ?? ByteBuffer()
        self.toHEAD = request.method == .HEAD
        self.state = NIOLockedValueBox(State(deadline: deadline, phase: phase))
        guard encoded != nil else {
            finish(.failure(.broken(UpstreamRequestEncoderError().description)))
            return
        }
        send()
    }

    /// The next event; `nil` when the upstream finished its answer.
    ///
    /// The wait has no cancellation handler of its own (one costs two updates of the task's
    /// status records under its lock, and a task switch): whoever must stop a call early cancels
    /// the exchange. A request does when its client leaves, which the server's shutdown makes
    /// happen by closing the connection; the health checker does when its task is cancelled.
    package func next() async throws(UpstreamFailure) -> Event? {
        if let ready = takeReady() { return try ready.get() }
        do {
            return try await withUnsafeThrowingContinuation { (reader: UnsafeContinuation<Event?, any Error>) in
                let (ready, resume) = state.withLockedValue {
                    state -> (Result<Event?, UpstreamFailure>?, UpstreamConnection?) in
                    let ready = Self.ready(&state)
                    if ready.result == nil { state.reader = reader }
                    return ready
                }
                resume?.resumeReading(for: self)
                if let ready { reader.resume(with: ready.mapError { $0 }) }
            }
        } catch let failure as UpstreamFailure {
            throw failure
        } catch {
            // Not reached: only an `UpstreamFailure` resumes the wait, but the continuation's
            // error type is `any Error`.
            throw .broken("cancelled")
        }
    }

    private func takeReady() -> Result<Event?, UpstreamFailure>? {
        let (ready, resume) = state.withLockedValue { Self.ready(&$0) }
        resume?.resumeReading(for: self)
        return ready
    }

    /// The queued event or the end, if there is one, and the connection to read from again if
    /// the reader has now caught up.
    private static func ready(
        _ state: inout State
    ) -> (result: Result<Event?, UpstreamFailure>?, resume: UpstreamConnection?) {
        if let event = state.takeEvent() {
            guard state.paused, state.queuedBytes < queueLimit else { return (.success(event), nil) }
            state.paused = false
            return (.success(event), state.connection)
        }
        return (state.end.map { $0.map { nil } }, nil)
    }

    /// Collects the rest of the answer, at most `limit` bytes.
    package func collectBody(limit: Int) async throws(UpstreamFailure) -> [UInt8] {
        var body: [UInt8] = []
        while let event = try await next() {
            guard case .chunk(let buffer) = event else { continue }
            guard body.count + buffer.readableBytes <= limit else { throw .broken("answer larger than \(limit) bytes") }
            body += buffer.readableBytesView
        }
        return body
    }

    /// Runs `action` once when the upstream's answer has ended, however it ends (completely,
    /// failed, cancelled), at once if it has already; it may run on the event loop, before the
    /// reader has read the events queued.
    package func onEnd(_ action: @escaping @Sendable () -> Void) {
        let ended = state.withLockedValue { state -> Bool in
            if state.end != nil { return true }
            state.onEnd = action
            return false
        }
        if ended { action() }
    }

    /// The call was ended because the client left (not the upstream's failure).
    package var clientLeft: Bool { state.withLockedValue { $0.clientLeft } }

    /// From now on the deadline is `idle` after the latest chunk, not a fixed point.
    package func extendDeadlineOnProgress(idle: TimeAmount, phase: String) {
        let deadline = NIODeadline.now() + idle
        let (ownTimer, connection) = state.withLockedValue {
            $0.idle = idle
            $0.phase = phase
            $0.deadline = deadline
            return ($0.timer.take(), $0.connection)
        }
        // The running timer may be set for a later point (the first-byte deadline).
        if let ownTimer {
            ownTimer.cancel()
            scheduleCheck(at: deadline)
        }
        connection?.watchDeadline(deadline, for: self)
    }

    /// Ends the call: the upstream connection is closed if the answer has not ended. Called once
    /// the answer is read too, so the timer does not keep the exchange alive.
    package func cancel(clientLeft: Bool = false) {
        let (timer, connection) = state.withLockedValue {
            $0.finished = true
            $0.clientLeft = $0.clientLeft || clientLeft
            return ($0.timer.take(), $0.connection.take())
        }
        timer?.cancel()
        connection?.close()
        finish(.failure(.broken("cancelled")))
    }

    // MARK: From the connection's handler, on its event loop

    /// Queues an event for the reader; `false` when the queue is full and the upstream should
    /// not be read until the reader catches up.
    @discardableResult
    func received(_ event: Event) -> Bool {
        let (reader, keepReading) = state.withLockedValue {
            state -> (UnsafeContinuation<Event?, any Error>?, Bool) in
            if state.end != nil { return (nil, true) }
            switch event {
            case .head: state.receivedHead = true
            case .chunk: if let idle = state.idle { state.deadline = .now() + idle }
            }
            if let reader = state.reader {
                state.reader = nil
                return (reader, true)
            }
            state.events.append(event)
            if case .chunk(let buffer) = event { state.queuedBytes += buffer.readableBytes }
            guard state.queuedBytes >= Self.queueLimit else { return (nil, true) }
            state.paused = true
            return (nil, false)
        }
        reader?.resume(returning: event)
        return keepReading
    }

    /// The answer is complete; the connection goes back to the pool if it can serve another.
    func answerEnded(reusable: Bool) {
        // `nil` when the call was already ended (and the connection closed) by a timeout or cancel.
        let connection = state.withLockedValue { $0.connection.take() }
        if let connection {
            if reusable { pool.park(connection) } else { connection.close() }
        }
        finish(.success(()))
    }

    /// The connection closed before the answer was complete; `answerBegan` when some byte of
    /// an answer had arrived on it, malformed or not.
    func connectionEnded(error: (any Error)?, answerBegan: Bool) {
        let resend = state.withLockedValue { state in
            state.connection = nil
            // A kept-alive connection the upstream closed just as it was reused (an idle close
            // racing the request): no byte of an answer arrived, so send it again. Once one has,
            // the backend took the request, and sending it again could run it twice.
            guard !state.finished, !answerBegan, !state.receivedHead, state.reused,
                state.resends < Self.resendLimit
            else { return false }
            state.resends += 1
            return true
        }
        if resend { send() } else { finish(.failure(closedFailure(error))) }
    }

    // MARK: Inside

    /// Sends the request on an idle connection of this loop, or on a new one.
    private func send() {
        if let connection = pool.idleConnection(on: eventLoop) {
            send(on: connection, reused: true)
            return
        }
        // Until the connection is open, its timer cannot watch the deadline.
        scheduleCheck(at: state.withLockedValue { $0.deadline })
        pool.connect(on: eventLoop).whenComplete { [self] result in
            switch result {
            case .success(let connection): send(on: connection, reused: false)
            case .failure(let error): finish(.failure(Self.connectFailure(error)))
            }
        }
    }

    private func send(on connection: UpstreamConnection, reused: Bool) {
        let deadline = state.withLockedValue { state -> NIODeadline? in
            guard !state.finished else { return nil }
            state.connection = connection
            state.reused = reused
            return state.deadline
        }
        guard let deadline else {
            // Ended while connecting: the connection is unused and can serve another call.
            pool.park(connection)
            return
        }
        connection.send(request, toHEAD: toHEAD, deadline: deadline, for: self)
    }

    /// Records how the answer ended (the first ending counts) and wakes the reader.
    private func finish(_ end: Result<Void, UpstreamFailure>) {
        let (reader, onEnd) = state.withLockedValue {
            state -> (UnsafeContinuation<Event?, any Error>?, (@Sendable () -> Void)?) in
            guard state.end == nil else { return (nil, nil) }
            state.end = end
            state.finished = true
            state.paused = false
            // A reader waits only on an empty queue, so it can be told the end at once.
            let reader = state.reader
            state.reader = nil
            return (reader, state.onEnd.take())
        }
        onEnd?()
        reader?.resume(with: end.map { nil }.mapError { $0 })
    }

    /// What a connection that could not be opened means for the request.
    private static func connectFailure(_ error: any Error) -> UpstreamFailure {
        if case ChannelError.connectTimeout = error { return .timeout("connecting") }
        return .connect(shortReason(error))
    }

    /// What a connection closed before the answer was complete means: before the head, the
    /// backend could not be reached (a failed TLS handshake) or took the request and dropped it;
    /// after it, the answer broke.
    private func closedFailure(_ error: (any Error)?) -> UpstreamFailure {
        let receivedHead = state.withLockedValue { $0.receivedHead }
        if receivedHead {
            return .broken(error.map(Self.shortReason) ?? "the connection closed before the answer was complete")
        }
        if let error, error is NIOSSLError || error is BoringSSLError {
            return .connect("TLS: \(Self.shortReason(error))")
        }
        return .broken(error.map(Self.shortReason) ?? "the connection closed before an answer")
    }

    /// Ends the call with a timeout if its deadline has passed; otherwise the deadline to check
    /// again at (`nil` once the call has ended). Called on the event loop by a timer.
    func checkDeadline() -> NIODeadline? {
        let (expired, phase, next, connection) = state.withLockedValue {
            state -> (Bool, String, NIODeadline?, UpstreamConnection?) in
            if state.finished { return (false, state.phase, nil, nil) }
            if state.deadline <= .now() {
                state.finished = true
                return (true, state.phase, nil, state.connection.take())
            }
            return (false, state.phase, state.deadline, nil)
        }
        if expired {
            finish(.failure(.timeout(phase)))
            connection?.close()
        }
        return next
    }

    private func scheduleCheck(at deadline: NIODeadline) {
        let timer = eventLoop.scheduleTask(deadline: deadline) { [self] in
            if let next = checkDeadline() { scheduleCheck(at: next) }
        }
        let finished = state.withLockedValue {
            $0.timer = timer
            return $0.finished
        }
        if finished { timer.cancel() }
    }

    private static func shortReason(_ error: any Error) -> String {
        let text = String(describing: error)
        if text.contains("refused") { return "connection refused" }
        return text.count > 120 ? String(text.prefix(120)) : text
    }
}
