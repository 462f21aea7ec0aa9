import NIOConcurrencyHelpers
import NIOCore

/// Stops sending requests to a backend that keeps failing, and lets one probe through after a
/// cooldown to find out whether it is back.
///
/// ```swift
/// guard breaker.allowsRequest() else { skip }
/// ok ? breaker.recordSuccess() : breaker.recordFailure()
/// ```
final class CircuitBreaker: Sendable {
    enum State: Sendable, Equatable {
        case closed
        case open(until: NIODeadline)
        /// The cooldown passed and one probe is out; everything else still skips the backend.
        case probing
    }

    private struct Counters {
        var state: State = .closed
        var consecutiveFailures = 0
    }

    private let failureThreshold: Int
    private let cooldown: TimeAmount
    private let counters = NIOLockedValueBox(Counters())

    init(failures: Int, cooldownSeconds: Double) {
        self.failureThreshold = failures
        self.cooldown = TimeAmount(seconds: cooldownSeconds)
    }

    var state: State { counters.withLockedValue { $0.state } }

    var isOpen: Bool { state != .closed }

    /// How a request may pass the circuit.
    enum Admission: Sendable, Equatable {
        case closed
        /// The one request let through after the cooldown: its outcome decides the circuit, or
        /// it is given back (`returnProbe`).
        case probe
        case refused
    }

    /// Whether a request may go to the backend now; after the cooldown, once as the probe.
    func admit(now: NIODeadline = .now()) -> Admission {
        counters.withLockedValue { counters in
            switch counters.state {
            case .closed: return .closed
            case .probing: return .refused
            case .open(let until):
                guard now >= until else { return .refused }
                counters.state = .probing
                return .probe
            }
        }
    }

    /// Whether a request may go to the backend now; after the cooldown, `true` once (the probe).
    func allowsRequest(now: NIODeadline = .now()) -> Bool {
        admit(now: now) != .refused
    }

    /// A probe that ended without telling whether the backend is back (its client left, or it
    /// was never sent): the next request may probe at once, so the circuit never stays probing.
    func returnProbe(now: NIODeadline = .now()) {
        counters.withLockedValue { counters in
            if counters.state == .probing { counters.state = .open(until: now) }
        }
    }

    /// Returns `true` when this success closed an open circuit.
    @discardableResult
    func recordSuccess() -> Bool {
        counters.withLockedValue { counters in
            let wasOpen = counters.state != .closed
            counters.state = .closed
            counters.consecutiveFailures = 0
            return wasOpen
        }
    }

    /// Returns `true` when this failure opened the circuit (or opened it again after a failed probe).
    @discardableResult
    func recordFailure(now: NIODeadline = .now()) -> Bool {
        counters.withLockedValue { counters in
            counters.consecutiveFailures += 1
            let trips = counters.state == .probing || counters.consecutiveFailures >= failureThreshold
            guard trips else { return false }
            counters.state = .open(until: now + cooldown)
            return true
        }
    }

    /// An active health check failed: the backend is down whatever the failure count says.
    /// Returns `true` when this opened the circuit.
    @discardableResult
    func trip(now: NIODeadline = .now()) -> Bool {
        counters.withLockedValue { counters in
            let wasClosed = counters.state == .closed
            if case .open(let until) = counters.state, until > now + cooldown { return false }
            counters.state = .open(until: now + cooldown)
            return wasClosed
        }
    }

    /// An active health check passed: it serves as the probe once the cooldown is over.
    /// Returns `true` when this closed the circuit.
    @discardableResult
    func recordHealthy(now: NIODeadline = .now()) -> Bool {
        counters.withLockedValue { counters in
            guard case .open(let until) = counters.state, now >= until else { return false }
            counters.state = .closed
            counters.consecutiveFailures = 0
            return true
        }
    }
}
