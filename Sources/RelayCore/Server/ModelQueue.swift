import NIOConcurrencyHelpers
import NIOCore
import RelayHTTP
import Synchronization

/// The requests waiting for a slot on a model's own backends when every one is busy.
///
/// Waiters are woken the moment a slot frees (`Backend.release` offers it here), not by polling,
/// and in order: higher `priority` first, first come first served within a priority. A waiter
/// is handed the slot it is woken for, already taken, so a request arriving meanwhile cannot
/// take it first; and while anyone waits, new requests queue behind them (`hasWaiters`).
///
/// ```swift
/// switch await queue.wait(priority: 0, limit: 1000, until: deadline, on: loop, watch: watch) {
/// case .slot(let backend): ...  // call it; release its slot when done
/// case .timedOut, .full, .left: ...
/// }
/// ```
final class ModelQueue: SlotWaiters {
    enum Outcome: Sendable {
        /// A slot on this backend, taken for the waiter.
        case slot(Backend)
        case timedOut
        /// `max_queue` requests were waiting already.
        case full
        /// The client left while it waited.
        case left

        var isFull: Bool {
            if case .full = self { return true }
            return false
        }
    }

    private struct Waiter {
        let ticket: UInt64
        let priority: Int
        let continuation: UnsafeContinuation<Outcome, Never>
        var timer: Scheduled<Void>?
    }

    private struct State {
        /// In the order they are served.
        var waiters: [Waiter] = []
        var nextTicket: UInt64 = 0
        var backends: [Backend]
    }

    let model: String
    private let state: NIOLockedValueBox<State>
    private let waiting = Atomic<Int>(0)

    init(model: String, backends: [Backend]) {
        self.model = model
        self.state = NIOLockedValueBox(State(backends: backends))
    }

    /// Requests waiting now.
    var depth: Int { waiting.load(ordering: .relaxed) }

    var hasWaiters: Bool { depth > 0 }

    /// The model's own backends, after a reload changed them.
    func replaceBackends(_ backends: [Backend]) {
        state.withLockedValue { $0.backends = backends }
        offer()
    }

    /// Waits for a slot on one of the model's own backends until `deadline`.
    func wait(
        priority: Int,
        limit: Int,
        until deadline: NIODeadline,
        on eventLoop: any EventLoop,
        watch: ClientConnectionWatch
    ) async -> Outcome {
        let outcome = await withUnsafeContinuation { (continuation: UnsafeContinuation<Outcome, Never>) in
            let ticket = state.withLockedValue { state -> UInt64? in
                guard state.waiters.count < limit else { return nil }
                let ticket = state.nextTicket
                state.nextTicket += 1
                let waiter = Waiter(ticket: ticket, priority: priority, continuation: continuation)
                // After every waiter of the same or a higher priority.
                let place = state.waiters.firstIndex { $0.priority < priority } ?? state.waiters.count
                state.waiters.insert(waiter, at: place)
                waiting.add(1, ordering: .relaxed)
                return ticket
            }
            guard let ticket else {
                continuation.resume(returning: .full)
                return
            }
            let timer = eventLoop.scheduleTask(deadline: deadline) { [self] in leave(ticket, with: .timedOut) }
            let stillWaiting = state.withLockedValue { state -> Bool in
                guard let index = state.waiters.firstIndex(where: { $0.ticket == ticket }) else { return false }
                state.waiters[index].timer = timer
                return true
            }
            if !stillWaiting { timer.cancel() }
            watch.onLeave { [self] in leave(ticket, with: .left) }
            // A slot may have freed between the caller's last try and now.
            offer()
        }
        watch.onLeave(nil)
        return outcome
    }

    /// Hands free slots to the waiters at the head of the queue, as many as there are.
    func offer() {
        guard hasWaiters else { return }
        var woken: [(UnsafeContinuation<Outcome, Never>, Backend)] = []
        state.withLockedValue { state in
            while let head = state.waiters.first {
                let byLoad = state.backends.sorted { $0.inFlight < $1.inFlight }
                guard let free = byLoad.first(where: { $0.tryAcquire() }) else { break }
                state.waiters.removeFirst()
                waiting.subtract(1, ordering: .relaxed)
                head.timer?.cancel()
                woken.append((head.continuation, free))
            }
        }
        for (continuation, backend) in woken { continuation.resume(returning: .slot(backend)) }
    }

    private func leave(_ ticket: UInt64, with outcome: Outcome) {
        let waiter = state.withLockedValue { state -> Waiter? in
            guard let index = state.waiters.firstIndex(where: { $0.ticket == ticket }) else { return nil }
            waiting.subtract(1, ordering: .relaxed)
            return state.waiters.remove(at: index)
        }
        guard let waiter else { return }
        waiter.timer?.cancel()
        waiter.continuation.resume(returning: outcome)
    }
}
