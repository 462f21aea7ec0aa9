import NIOConcurrencyHelpers
import RelayWire

/// Keeps every key's limits in this process (SPEC §5, without `redis_url`).
///
/// `rpm`, `tpm` and `fallback_tpm` are sliding 60 s windows of per-second buckets (see
/// `SlidingWindow`): in any 60 s span a key is never admitted more than its limit, and memory is
/// a fixed 61 counters per window and key, whatever the traffic. Keys come from the config, so
/// the map is bounded by the number of configured keys; an idle key's entry is dropped.
/// Each decision is taken whole under one lock (never held across an `await`), so a
/// concurrent burst is admitted exactly up to the limit.
///
/// ```swift
/// let limiter = InProcessRateLimiter()
/// if case .admitted(let reservation) = await limiter.reserve(principal, estimatedTokens: 300) {
///     await limiter.settle(reservation, actualTokens: 120)  // refunds the 180 not used
/// }
/// ```
package final class InProcessRateLimiter: RateLimiter {
    private let clock: any RateLimitClock
    private let keys = NIOLockedValueBox<[String: KeyWindows]>([:])

    package init(clock: any RateLimitClock = SystemRateLimitClock()) {
        self.clock = clock
    }

    /// Keys with state held right now (for tests and metrics): bounded by the configured keys.
    var trackedKeyCount: Int { keys.withLockedValue { $0.count } }

    package func reserve(_ principal: Principal, estimatedTokens: Int) async -> RateLimitDecision {
        reserveNow(principal, estimatedTokens: estimatedTokens)
    }

    package func reserveFallback(_ principal: Principal, estimatedTokens: Int) async -> RateLimitDecision {
        reserveFallbackNow(principal, estimatedTokens: estimatedTokens)
    }

    package func settle(_ reservation: Reservation, actualTokens: Int?) async {
        settleNow(reservation, actualTokens: actualTokens)
    }

    /// `reserve` without suspending, for callers that hold no task (the Redis limiter's fallback).
    func reserveNow(_ principal: Principal, estimatedTokens: Int) -> RateLimitDecision {
        let cost = max(0, estimatedTokens)
        let now = clock.nowMilliseconds()
        let limits = principal.limits
        return withWindows(of: principal.name, at: now) { windows in
            // Only the limits the request does not fit now: nearly always none, so the list is
            // never allocated, and the snapshot before the charge is taken only for a rejection.
            var misfits: [(kind: RateLimitKind, fit: LimitFit)] = []
            if let rpm = limits.rpm {
                let fit = windows.requests.fit(1, limit: rpm, atMilliseconds: now)
                if fit != .now { misfits.append((.rpm, fit)) }
            }
            if let tpm = limits.tpm {
                let fit = windows.tokens.fit(cost, limit: tpm, atMilliseconds: now)
                if fit != .now { misfits.append((.tpm, fit)) }
            }
            if let maxParallel = limits.maxParallel {
                let fit = LimitFit(inFlight: windows.inFlight, maxParallel: maxParallel)
                if fit != .now { misfits.append((.parallel, fit)) }
            }
            if !misfits.isEmpty,
                let rejection = AdmissionVerdict.rejection(
                    misfits, snapshot: windows.snapshot(requestLimit: limits.rpm, tokenLimit: limits.tpm, at: now))
            {
                return .rejected(rejection)
            }

            let second = SlidingWindow.second(ofMilliseconds: now)
            if limits.rpm != nil { windows.requests.charge(1, atMilliseconds: now) }
            if limits.tpm != nil { windows.tokens.charge(cost, atMilliseconds: now) }
            if limits.maxParallel != nil { windows.inFlight += 1 }
            return .admitted(
                Reservation(
                    key: principal.name,
                    tokens: cost,
                    pool: .primary,
                    snapshot: windows.snapshot(requestLimit: limits.rpm, tokenLimit: limits.tpm, at: now),
                    ledger: .inProcess,
                    windowSecond: second,
                    chargedTokens: limits.tpm != nil ? cost : nil,
                    slotID: limits.maxParallel != nil ? "in-process" : nil
                )
            )
        }
    }

    func reserveFallbackNow(_ principal: Principal, estimatedTokens: Int) -> RateLimitDecision {
        let cost = max(0, estimatedTokens)
        guard let limit = principal.fallbackTPM else {
            return .admitted(Reservation(unlimitedFor: principal.name, tokens: cost, pool: .fallback))
        }
        let now = clock.nowMilliseconds()
        return withWindows(of: principal.name, at: now) { windows in
            let fit = windows.fallbackTokens.fit(cost, limit: limit, atMilliseconds: now)
            if fit != .now,
                let rejection = AdmissionVerdict.rejection(
                    [(.fallbackTPM, fit)],
                    snapshot: RateLimitSnapshot(tokens: windows.fallbackTokens.snapshot(limit: limit, at: now)))
            {
                return .rejected(rejection)
            }
            let second = SlidingWindow.second(ofMilliseconds: now)
            windows.fallbackTokens.charge(cost, atMilliseconds: now)
            return .admitted(
                Reservation(
                    key: principal.name,
                    tokens: cost,
                    pool: .fallback,
                    snapshot: RateLimitSnapshot(tokens: windows.fallbackTokens.snapshot(limit: limit, at: now)),
                    ledger: .inProcess,
                    windowSecond: second,
                    chargedTokens: cost,
                    slotID: nil
                )
            )
        }
    }

    func settleNow(_ reservation: Reservation, actualTokens: Int?) {
        guard reservation.ledger == .inProcess else { return }
        let now = clock.nowMilliseconds()
        withWindows(of: reservation.key, at: now) { windows in
            if reservation.slotID != nil { windows.inFlight = max(0, windows.inFlight - 1) }
            // Keys without a token limit at admission were charged nothing and owe nothing.
            guard let charged = reservation.chargedTokens else { return }
            let delta = max(0, actualTokens ?? 0) - charged
            switch reservation.pool {
            case .primary: windows.tokens.adjust(chargedAt: reservation.windowSecond, by: delta, atMilliseconds: now)
            case .fallback:
                windows.fallbackTokens.adjust(chargedAt: reservation.windowSecond, by: delta, atMilliseconds: now)
            }
        }
    }

    private func withWindows<Result>(
        of key: String,
        at now: Int64,
        _ body: (inout KeyWindows) -> Result
    ) -> Result {
        keys.withLockedValue { keys in
            // A known key's windows change in place, found by one hash of the key (not taken out
            // and put back, two); they are dropped once idle.
            if let index = keys.index(forKey: key) {
                // Whether they are idle is read in the same access: reading `values[index]`
                // again would copy the windows out (a retain and a release of each one's buckets).
                func run(_ windows: inout KeyWindows) -> (Result, idle: Bool) {
                    (body(&windows), windows.isIdle(atMilliseconds: now))
                }
                let (result, idle) = run(&keys.values[index])
                if idle { keys.remove(at: index) }
                return result
            }
            var windows = KeyWindows()
            let result = body(&windows)
            if !windows.isIdle(atMilliseconds: now) { keys[key] = windows }
            return result
        }
    }
}
