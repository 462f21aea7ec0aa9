import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Synchronization

/// One HTTP call to a backend, read as a sequence of events under a deadline Relay controls.
///
/// AsyncHTTPClient's own deadline ends at the response head, so the call runs in its own task
/// and a timer on the event loop ends it when it stalls: waiting for the first byte, the whole
/// answer, or the next chunk of a stream (`extendDeadlineOnProgress`). Cancelling the task
/// closes the upstream connection, so the backend stops generating.
final class UpstreamExchange: @unchecked Sendable {
    enum Event: Sendable {
        case head(status: Int, headers: HTTPHeaders)
        case chunk(ByteBuffer)
    }

    private struct Watch {
        var deadline: NIODeadline
        var idle: TimeAmount?
        var phase: String
        var finished = false
        var clientLeft = false
        var timer: Scheduled<Void>?
    }

    // Used by one task at a time: the request handler, then the response body writer it hands to.
    private var iterator: AsyncThrowingStream<Event, any Error>.AsyncIterator
    private var receivedHead = false
    private let continuation: AsyncThrowingStream<Event, any Error>.Continuation
    private let task: Task<Void, Never>
    private let watch: Mutex<Watch>
    private let eventLoop: any EventLoop

    init(client: HTTPClient, request: HTTPClientRequest, timeout: TimeAmount, phase: String) {
        let (stream, continuation) = AsyncThrowingStream<Event, any Error>.makeStream()
        self.iterator = stream.makeAsyncIterator()
        self.continuation = continuation
        self.eventLoop = client.eventLoopGroup.any()
        self.watch = Mutex(Watch(deadline: .now() + timeout, idle: nil, phase: phase))
        // The call runs on the same event loop as the request that made it (`any()` is the
        // current loop when called from one), so its events reach the request without a hop.
        self.task = Task(executorPreference: EventLoopExecutor(eventLoop)) {
            do {
                var response: HTTPClientResponse?
                var resends = 0
                while response == nil {
                    do {
                        response = try await client.execute(request, deadline: .distantFuture)
                    } catch  where resends < 2 && Self.isClosedBeforeSending(error) {
                        // A kept-alive connection the upstream closed just as it was reused (an
                        // idle close racing the request): no answer began, so send it again.
                        resends += 1
                    }
                }
                guard let response else { return }
                continuation.yield(.head(status: Int(response.status.code), headers: response.headers))
                for try await chunk in response.body {
                    continuation.yield(.chunk(chunk))
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        scheduleCheck(at: .now() + timeout)
    }

    /// The next event; `nil` when the upstream finished its answer.
    func next() async throws(UpstreamFailure) -> Event? {
        do {
            let event = try await iterator.next()
            switch event {
            case .chunk: noteProgress()
            case .head: receivedHead = true
            case nil: break
            }
            return event
        } catch let failure as UpstreamFailure {
            throw failure
        } catch let error as HTTPClientError where error == .connectTimeout {
            throw .timeout("connecting")
        } catch let error as HTTPClientError {
            throw .broken("\(error)")
        } catch is CancellationError {
            throw .broken("cancelled")
        } catch {
            // Once the head came, the connection worked: what failed is the answer.
            throw receivedHead ? .broken(Self.shortReason(error)) : .connect(Self.shortReason(error))
        }
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
    var clientLeft: Bool { watch.withLock { $0.clientLeft } }

    /// From now on the deadline is `idle` after the latest chunk, not a fixed point.
    func extendDeadlineOnProgress(idle: TimeAmount, phase: String) {
        let deadline = NIODeadline.now() + idle
        let previous = watch.withLock {
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
        let timer = watch.withLock {
            $0.finished = true
            $0.clientLeft = $0.clientLeft || clientLeft
            return $0.timer.take()
        }
        timer?.cancel()
        task.cancel()
    }

    private func noteProgress() {
        watch.withLock {
            if let idle = $0.idle { $0.deadline = .now() + idle }
        }
    }

    private func scheduleCheck(at deadline: NIODeadline) {
        let timer = eventLoop.scheduleTask(deadline: deadline) { [self] in
            let (expired, phase, next) = watch.withLock { watch -> (Bool, String, NIODeadline?) in
                if watch.finished { return (false, watch.phase, nil) }
                if watch.deadline <= .now() {
                    watch.finished = true
                    return (true, watch.phase, nil)
                }
                return (false, watch.phase, watch.deadline)
            }
            if expired {
                continuation.finish(throwing: UpstreamFailure.timeout(phase))
                task.cancel()
            } else if let next {
                scheduleCheck(at: next)
            }
        }
        let finished = watch.withLock {
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
