import NIOConcurrencyHelpers

/// What the authenticator remembers between requests, by key digest (never the key): which
/// keys verified (and against which hash), which recently failed, and which are being checked
/// right now, so concurrent requests with one key share a single argon2 run.
///
/// Every table is bounded; the lock is never held across an `await`.
final class VerificationMemory: Sendable {
    /// How a request's argon2 check ended.
    enum Outcome: Sendable, Equatable {
        /// The key matched this PHC string; `startedByThisRequest` is false when it was already
        /// verified or this request joined another's check.
        case matched(String, startedByThisRequest: Bool)
        /// Argon2 ran and nothing matched.
        case failed
        /// The key failed recently: no argon2 run.
        case knownBad
        /// Not checked: the client is throttled or too many checks are already queued.
        case refused
    }

    private struct State {
        var verified: BoundedDigestMap<String>
        var failed: BoundedDigestMap<Bool>
        var inFlight: [KeyDigest: Task<String?, Never>] = [:]
    }

    private let state: NIOLockedValueBox<State>
    private let maximumInFlight: Int

    init(verifiedCapacity: Int, failedCapacity: Int, maximumInFlight: Int, verified: [(KeyDigest, String)] = []) {
        var initial = State(
            verified: BoundedDigestMap(capacity: verifiedCapacity), failed: BoundedDigestMap(capacity: failedCapacity))
        for (digest, phc) in verified { initial.verified.insert(digest, phc) }
        self.state = NIOLockedValueBox(initial)
        self.maximumInFlight = maximumInFlight
    }

    func verifiedHash(for digest: KeyDigest) -> String? {
        state.withLockedValue { $0.verified[digest] }
    }

    var verifiedEntries: [(digest: KeyDigest, phc: String)] {
        state.withLockedValue { $0.verified.entries.map { ($0.digest, $0.value) } }
    }

    /// Checks `digest`'s key with `run`, unless it failed recently, is being checked already (then
    /// this waits for that check), or `mayStart` says no.
    func verify(
        _ digest: KeyDigest,
        mayStart: () -> Bool,
        run: @escaping @Sendable () async -> String?
    ) async -> Outcome {
        enum Step {
            case done(Outcome)
            case wait(Task<String?, Never>, started: Bool)
        }
        let step = state.withLockedValue { state -> Step in
            if let phc = state.verified[digest] { return .done(.matched(phc, startedByThisRequest: false)) }
            if state.failed[digest] != nil { return .done(.knownBad) }
            if let running = state.inFlight[digest] { return .wait(running, started: false) }
            guard state.inFlight.count < maximumInFlight, mayStart() else { return .done(.refused) }
            // Unstructured on purpose: a client hanging up must not cancel a check others wait on.
            let task = Task { [self] in
                let phc = await run()
                finish(digest, phc: phc)
                return phc
            }
            state.inFlight[digest] = task
            return .wait(task, started: true)
        }
        switch step {
        case .done(let outcome):
            return outcome
        case .wait(let task, let started):
            if let phc = await task.value { return .matched(phc, startedByThisRequest: started) }
            return .failed
        }
    }

    private func finish(_ digest: KeyDigest, phc: String?) {
        state.withLockedValue { state in
            state.inFlight[digest] = nil
            if let phc { state.verified.insert(digest, phc) } else { state.failed.insert(digest, true) }
        }
    }
}
