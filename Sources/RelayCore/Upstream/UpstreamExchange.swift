import AsyncHTTPClient
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// One HTTP call to a backend, read as a sequence of events under a deadline Relay controls.
///
/// AsyncHTTPClient's own deadline ends at the response head, so a timer on the event loop ends
/// the call when it stalls: waiting for the first byte, the whole answer, or the next chunk of a
/// stream (`extendDeadlineOnProgress`). Cancelling the call closes the upstream connection, so
/// the backend stops generating.
///
/// The exchange is the client's response delegate: the upstream's head and body parts arrive on
/// the event loop and are queued here for the request's task, which reads them with `next()`.
/// No second task and no generic stream sit between the two, which matters most for streams,
/// where this is paid per chunk.
final class UpstreamExchange: HTTPClientResponseDelegate, @unchecked Sendable {
    typealias Response = Void

    enum Event: Sendable {
        case head(status: Int, headers: HTTPHeaders)
        case chunk(ByteBuffer)
    }

    /// Bytes queued for the reader past which the upstream is not read until the reader catches
    /// up: a slow client slows the upstream instead of growing Relay's memory.
    private static let queueLimit = 256 * 1024

    private struct State {
        var events: [Event] = []
        var nextEvent = 0
        var queuedBytes = 0
        /// How the answer ended, once it has; the reader sees it after the queued events.
        var end: Result<Void, UpstreamFailure>?
        var reader: UnsafeContinuation<Event?, any Error>?
        /// Completed when the reader has drained the queue below `queueLimit`.
        var drained: EventLoopPromise<Void>?
        var call: HTTPClient.Task<Void>?
        var receivedHead = false
        var resends = 0
        // The deadline.
        var deadline: NIODeadline
        var idle: TimeAmount?
        var phase: String
        var finished = false
        var clientLeft = false
        var timer: Scheduled<Void>?

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
    private let client: HTTPClient
    private let request: HTTPClient.Request?
    private let eventLoop: any EventLoop

    init(client: HTTPClient, request: UpstreamRequest, timeout: TimeAmount, phase: String) {
        self.client = client
        // The call runs on the same event loop as the request that made it (`any()` is the
        // current loop when called from one), so its events reach the request without a hop.
        self.eventLoop = client.eventLoopGroup.any()
        self.request = request.url.flatMap {
            try? HTTPClient.Request(url: $0, method: .POST, headers: request.headers, body: .byteBuffer(request.body))
        }
        self.state = NIOLockedValueBox(State(deadline: .now() + timeout, phase: phase))
        guard self.request != nil else {
            finish(.failure(.connect("the backend's URL is not valid")))
            return
        }
        send()
        scheduleCheck(at: .now() + timeout)
    }

    /// The next event; `nil` when the upstream finished its answer.
    func next() async throws(UpstreamFailure) -> Event? {
        if let ready = takeReady() { return try ready.get() }
        do {
            return try await withTaskCancellationHandler {
                try await withUnsafeThrowingContinuation { (reader: UnsafeContinuation<Event?, any Error>) in
                    let (ready, drained) = state.withLockedValue {
                        state -> (Result<Event?, UpstreamFailure>?, EventLoopPromise<Void>?) in
                        let ready = Self.ready(&state)
                        if ready.result == nil { state.reader = reader }
                        return ready
                    }
                    drained?.succeed()
                    if let ready { reader.resume(with: ready.mapError { $0 }) }
                }
            } onCancel: {
                cancel()
            }
        } catch let failure as UpstreamFailure {
            throw failure
        } catch {
            throw .broken("cancelled")
        }
    }

    private func takeReady() -> Result<Event?, UpstreamFailure>? {
        let (ready, drained) = state.withLockedValue { Self.ready(&$0) }
        // Outside the lock: the upstream's next part may be delivered from inside `succeed`.
        drained?.succeed()
        return ready
    }

    /// The queued event or the end, if there is one, and the promise that holds the upstream
    /// back if the reader has now caught up.
    private static func ready(
        _ state: inout State
    ) -> (result: Result<Event?, UpstreamFailure>?, drained: EventLoopPromise<Void>?) {
        if let event = state.takeEvent() {
            let drained = state.queuedBytes < queueLimit ? state.drained.take() : nil
            return (.success(event), drained)
        }
        return (state.end.map { $0.map { nil } }, nil)
    }

    /// Collects the rest of the answer, at most `limit` bytes.
    func collectBody(limit: Int) async throws(UpstreamFailure) -> [UInt8] {
        var body: [UInt8] = []
        while let event = try await next() {
            guard case .chunk(let buffer) = event else { continue }
            guard body.count + buffer.readableBytes <= limit else { throw .broken("answer larger than \(limit) bytes") }
            body += buffer.readableBytesView
        }
        return body
    }

    /// The call was ended because the client left (not the upstream's failure).
    var clientLeft: Bool { state.withLockedValue { $0.clientLeft } }

    /// From now on the deadline is `idle` after the latest chunk, not a fixed point.
    func extendDeadlineOnProgress(idle: TimeAmount, phase: String) {
        let deadline = NIODeadline.now() + idle
        let previous = state.withLockedValue {
            $0.idle = idle
            $0.phase = phase
            $0.deadline = deadline
            return $0.timer.take()
        }
        // The running timer may be set for a later point (the first-byte deadline).
        previous?.cancel()
        scheduleCheck(at: deadline)
    }

    /// Ends the call: the upstream connection is closed if it is still open. Called once the
    /// answer is read too, so the timer does not keep the exchange alive.
    func cancel(clientLeft: Bool = false) {
        let (timer, call) = state.withLockedValue {
            $0.finished = true
            $0.clientLeft = $0.clientLeft || clientLeft
            return ($0.timer.take(), $0.call)
        }
        timer?.cancel()
        call?.cancel()
        finish(.failure(.broken("cancelled")))
    }

    // MARK: The client's delegate, called on `eventLoop`

    func didReceiveHead(task: HTTPClient.Task<Void>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        deliver(.head(status: Int(head.status.code), headers: head.headers))
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Void>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        state.withLockedValue {
            if let idle = $0.idle { $0.deadline = .now() + idle }
        }
        return deliver(.chunk(buffer))
    }

    func didFinishRequest(task: HTTPClient.Task<Void>) throws {}

    // MARK: Inside

    private func send() {
        guard let request else { return }
        let call = client.execute(request: request, delegate: self, eventLoop: .delegate(on: eventLoop))
        let finished = state.withLockedValue {
            $0.call = call
            return $0.finished
        }
        if finished { call.cancel() }
        call.futureResult.whenComplete { [self] result in
            switch result {
            case .success:
                finish(.success(()))
            case .failure(let error):
                let resend = state.withLockedValue { state in
                    // A kept-alive connection the upstream closed just as it was reused (an idle
                    // close racing the request): no answer began, so send it again.
                    guard !state.finished, !state.receivedHead, state.resends < 2, Self.isClosedBeforeSending(error)
                    else { return false }
                    state.resends += 1
                    return true
                }
                if resend { send() } else { finish(.failure(failure(error))) }
            }
        }
    }

    /// Hands an event to the waiting reader, or queues it; the future holds the upstream back
    /// while the queue is over its limit.
    private func deliver(_ event: Event) -> EventLoopFuture<Void> {
        let (reader, drained) = state.withLockedValue {
            state -> (UnsafeContinuation<Event?, any Error>?, EventLoopFuture<Void>?) in
            if state.end != nil { return (nil, nil) }
            if case .head = event { state.receivedHead = true }
            if let reader = state.reader {
                state.reader = nil
                return (reader, nil)
            }
            state.events.append(event)
            if case .chunk(let buffer) = event { state.queuedBytes += buffer.readableBytes }
            guard state.queuedBytes >= Self.queueLimit else { return (nil, nil) }
            let promise = state.drained ?? eventLoop.makePromise()
            state.drained = promise
            return (nil, promise.futureResult)
        }
        reader?.resume(returning: event)
        return drained ?? eventLoop.makeSucceededVoidFuture()
    }

    /// Records how the answer ended (the first ending counts) and wakes the reader.
    private func finish(_ end: Result<Void, UpstreamFailure>) {
        let (reader, drained) = state.withLockedValue {
            state -> (UnsafeContinuation<Event?, any Error>?, EventLoopPromise<Void>?) in
            guard state.end == nil else { return (nil, nil) }
            state.end = end
            state.finished = true
            // A reader waits only on an empty queue, so it can be told the end at once.
            let reader = state.reader
            state.reader = nil
            return (reader, state.drained.take())
        }
        drained?.succeed()
        reader?.resume(with: end.map { nil }.mapError { $0 })
    }

    /// What a failed call means for the request: once the head came, the connection worked,
    /// so what failed is the answer.
    private func failure(_ error: any Error) -> UpstreamFailure {
        if let error = error as? HTTPClientError {
            if error == .connectTimeout { return .timeout("connecting") }
            if error == .cancelled { return .broken("cancelled") }
            return .broken("\(error)")
        }
        let receivedHead = state.withLockedValue { $0.receivedHead }
        return receivedHead ? .broken(Self.shortReason(error)) : .connect(Self.shortReason(error))
    }

    private func scheduleCheck(at deadline: NIODeadline) {
        let timer = eventLoop.scheduleTask(deadline: deadline) { [self] in
            let (expired, phase, next, call) = state.withLockedValue {
                state -> (Bool, String, NIODeadline?, HTTPClient.Task<Void>?) in
                if state.finished { return (false, state.phase, nil, nil) }
                if state.deadline <= .now() {
                    state.finished = true
                    return (true, state.phase, nil, state.call)
                }
                return (false, state.phase, state.deadline, nil)
            }
            if expired {
                finish(.failure(.timeout(phase)))
                call?.cancel()
            } else if let next {
                scheduleCheck(at: next)
            }
        }
        let finished = state.withLockedValue {
            $0.timer = timer
            return $0.finished
        }
        if finished { timer.cancel() }
    }

    /// The upstream closed a kept-alive connection as it was reused: no answer began on it.
    static func isClosedBeforeSending(_ error: any Error) -> Bool {
        if let error = error as? HTTPClientError { return error == .remoteConnectionClosed }
        if case ChannelError.ioOnClosedChannel? = error as? ChannelError { return true }
        return false
    }

    private static func shortReason(_ error: any Error) -> String {
        let text = String(describing: error)
        if text.contains("refused") { return "connection refused" }
        return text.count > 120 ? String(text.prefix(120)) : text
    }
}
