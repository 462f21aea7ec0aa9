import NIOConcurrencyHelpers
import RelayWire

/// Owns what one request holds from its admission to its last byte: the key's reservations
/// (its own, and `fallback_tpm`'s while a fallback is called), the backend slot of the attempt
/// in progress with the circuit's probe if it is one, and the request's one access line.
///
/// Whatever ends the request (an answer, an upstream failure, a timeout, a limit, a translation
/// error, the client leaving at any point, the shutdown grace running out), each of these is
/// given back exactly once:
/// - a slot by `releaseSlot()`, the circuit told the attempt's outcome, or its probe given back
///   when the attempt ended without one;
/// - the reservations by `settle(_:)`, all together;
/// - the access line and the request's metrics by `finish(_:)`, which also gives back whatever
///   is still held.
///
/// ```swift
/// call.hold(reservation)
/// call.take(backend, admission: backend.circuit.admit())
/// call.recordOutcome(success: true)
/// call.releaseSlot()
/// await call.settle(.usage(usage))
/// await call.finish(record)
/// ```
final class CallOwner: Sendable {
    /// What the key's reservations are settled to.
    enum Charge: Sendable {
        /// The call's real (or estimated) usage.
        case usage(Usage)
        /// Nothing: the call failed before any output.
        case refund
        /// The prompt only: the client left after the upstream was sent the request, which it
        /// read whole, and before any output.
        case prompt
    }

    private struct Held {
        var reservations: [Reservation] = []
        /// The key's quota hold, and each attempt's spend hold (`QuotaHold`).
        var quotaHolds: [QuotaHold] = []
        var promptEstimate = 0
        /// The backend of the latest attempt, kept after its slot is back: a stream's failure
        /// may be known only after its upstream call has ended.
        var backend: Backend?
        var holdsSlot = false
        /// The attempt is the circuit's probe and has told no outcome yet.
        var probe = false
        /// The attempt's failure was told to the circuit: once is all it counts.
        var failed = false
        var settled = false
        var finished = false
    }

    let gateway: Gateway
    private let held = NIOLockedValueBox(Held())

    init(gateway: Gateway) {
        self.gateway = gateway
    }

    /// Holds an admitted reservation until the call settles.
    func hold(_ reservation: Reservation, promptEstimate: Int? = nil) {
        held.withLockedValue { held in
            held.reservations.append(reservation)
            if let promptEstimate { held.promptEstimate = promptEstimate }
        }
    }

    /// Holds what was reserved of the key's quotas or budget until the call settles.
    func hold(quota: QuotaHold) {
        held.withLockedValue { $0.quotaHolds.append(quota) }
    }

    /// Gives back a spend hold at once: an attempt's that failed before any output.
    func refundLast(quota hold: QuotaHold) async {
        let found = held.withLockedValue { held -> Bool in
            guard let last = held.quotaHolds.last, last.key == hold.key, last.reserved == hold.reserved else {
                return false
            }
            held.quotaHolds.removeLast()
            return true
        }
        if found { await gateway.settle(hold, usage: nil) }
    }

    /// Settles one reservation at once (refunded) and stops holding it: a fallback's, when the
    /// fallback it paid for failed.
    func refund(_ reservation: Reservation) async {
        let found = held.withLockedValue { held -> Bool in
            guard let index = held.reservations.firstIndex(of: reservation) else { return false }
            held.reservations.remove(at: index)
            return true
        }
        if found { await gateway.settle(reservation, usage: nil) }
    }

    /// Holds a backend slot already acquired (`Backend.tryAcquire`) for one attempt.
    func take(_ backend: Backend, admission: CircuitBreaker.Admission) {
        held.withLockedValue { held in
            precondition(!held.holdsSlot, "one attempt at a time")
            held.backend = backend
            held.holdsSlot = true
            held.probe = admission == .probe
            held.failed = false
        }
    }

    /// Tells the latest attempt's circuit how it went: a success, or its failure (once).
    func recordOutcome(success: Bool) {
        let backend = held.withLockedValue { held -> Backend? in
            guard success || !held.failed else { return nil }
            held.failed = !success
            held.probe = false
            return held.backend
        }
        guard let backend else { return }
        if success {
            backend.circuit.recordSuccess()
        } else {
            backend.circuit.recordFailure()
        }
    }

    /// Gives the slot back (once), and the probe with it when the attempt told no outcome.
    func releaseSlot() {
        let (backend, probe) = held.withLockedValue { held -> (Backend?, Bool) in
            guard held.holdsSlot else { return (nil, false) }
            defer {
                held.holdsSlot = false
                held.probe = false
            }
            return (held.backend, held.probe)
        }
        guard let backend else { return }
        if probe { backend.circuit.returnProbe() }
        backend.release()
    }

    /// Settles every reservation held, once; later calls do nothing.
    func settle(_ charge: Charge) async {
        let (reservations, quotaHolds, promptEstimate) = held.withLockedValue {
            held -> ([Reservation], [QuotaHold], Int) in
            guard !held.settled else { return ([], [], 0) }
            held.settled = true
            defer {
                held.reservations = []
                held.quotaHolds = []
            }
            return (held.reservations, held.quotaHolds, held.promptEstimate)
        }
        guard !reservations.isEmpty || !quotaHolds.isEmpty else { return }
        let usage: Usage? =
            switch charge {
            case .usage(let usage): usage
            case .refund: nil
            case .prompt: Usage(promptTokens: promptEstimate, completionTokens: 0, estimated: true)
            }
        for reservation in reservations { await gateway.settle(reservation, usage: usage) }
        for hold in quotaHolds { await gateway.settle(hold, usage: usage) }
    }

    /// Ends the call, once: the slot given back, the reservations settled (refunded, unless
    /// already settled), then its access line and metrics.
    func finish(_ record: AccessRecord) async {
        let first = held.withLockedValue { held in
            defer { held.finished = true }
            return !held.finished
        }
        guard first else { return }
        releaseSlot()
        await settle(.refund)
        gateway.logAccess(record)
    }
}
