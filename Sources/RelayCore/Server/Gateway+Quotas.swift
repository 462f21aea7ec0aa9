import RelayWire

/// Quotas and budgets as requests meet them (SPEC §10): a request's hold on its key's quotas,
/// each attempt's spend at a priced target, and their settling.
extension Gateway {
    /// An attempt's spend, as the key's budget takes it.
    enum SpendDecision {
        case hold(QuotaHold)
        /// The budget that applies to the target is spent until `retryAfterSeconds` from now.
        case overBudget(retryAfterSeconds: Int)
    }

    /// Reserves one request and its estimated tokens against the key's quotas; nil when the key
    /// has none. Throws the 429 of a quota used up, or the 503 of an unreachable store in
    /// `closed` mode (in `open` mode the request goes on, uncounted, as for rate limits).
    func reserveQuotas(_ principal: Principal, estimatedTokens: Int) async throws(RelayError) -> QuotaHold? {
        guard principal.quotas != nil, let store = self.quotas else { return nil }
        let limits = principal.quotaLimits
        var amounts: [QuotaMeter: Int64] = [:]
        for meter in limits.keys {
            amounts[meter] = meter == .requestsPerDay ? 1 : Int64(estimatedTokens)
        }
        let reservation: QuotaReservation
        do {
            reservation = try await store.reserve(key: principal.name, amounts: amounts, limits: limits)
        } catch {
            if state.config.rateLimitFailureMode == .closed { throw .rateLimiterUnavailable }
            return nil
        }
        switch reservation {
        case .admitted(let windows):
            return QuotaHold(key: principal.name, windows: windows, reserved: amounts, spend: nil)
        case .exceeded(let meter, let resetAt, let now):
            metrics.recordRateLimited(key: principal.name, limit: meter.rawValue)
            throw .quotaExceeded(quota: meter.rawValue, retryAfterSeconds: Int(max(1, resetAt - now)))
        }
    }

    /// The spend of an attempt at `target` (nil when it is free), reserved against the key's
    /// budget when one applies to it: every priced target with `applies_to: all`, fallbacks only
    /// with `applies_to: fallback`.
    func reserveSpend(
        _ principal: Principal,
        target: Target,
        model: String,
        promptTokens: Int,
        completionTokens: Int
    ) async -> SpendDecision? {
        guard let price = target.price else { return nil }
        let reserved = [QuotaMeter.usdPerMonth: price.microUSD(prompt: promptTokens, completion: completionTokens)]
        let uncounted = QuotaHold(key: principal.name, windows: nil, reserved: reserved, spend: (price, model))
        guard let budget = principal.budget, let limit = principal.budgetMicroUSD,
            budget.appliesTo == .all || target.isFallback, let store = quotas
        else { return .hold(uncounted) }
        do {
            switch try await store.reserve(key: principal.name, amounts: reserved, limits: [.usdPerMonth: limit]) {
            case .admitted(let windows):
                return .hold(
                    QuotaHold(key: principal.name, windows: windows, reserved: reserved, spend: (price, model)))
            case .exceeded(_, let resetAt, let now):
                metrics.recordRateLimited(key: principal.name, limit: QuotaMeter.usdPerMonth.rawValue)
                return .overBudget(retryAfterSeconds: Int(max(1, resetAt - now)))
            }
        } catch {
            // Unreachable: `closed` mode refuses what it cannot count, `open` spends uncounted.
            return state.config.rateLimitFailureMode == .closed ? .overBudget(retryAfterSeconds: 1) : .hold(uncounted)
        }
    }

    /// Settles a hold to the call's usage (nil: refunded): the difference added to the windows
    /// it was counted in, and a spend reported.
    func settle(_ hold: QuotaHold, usage: Usage?) async {
        let actual = hold.actual(usage)
        if let spend = hold.spend {
            metrics.recordSpend(key: hold.key, model: spend.model, microUSD: actual[.usdPerMonth] ?? 0)
        }
        guard let windows = hold.windows, let store = quotas else { return }
        var deltas: [QuotaMeter: Int64] = [:]
        for (meter, reserved) in hold.reserved where actual[meter] != reserved {
            deltas[meter] = (actual[meter] ?? 0) - reserved
        }
        guard !deltas.isEmpty else { return }
        // An unreachable store keeps the estimate: a call is never counted below what it reserved.
        try? await store.adjust(key: hold.key, deltas: deltas, windows: windows)
    }
}

extension Gateway {
    /// Each key's quotas and budget as the store has them now (nil without a store), and
    /// `relay_quota_remaining` set from it.
    func quotaUsage() async throws(QuotaStoreError) -> QuotaUsageReport? {
        guard let store = quotas else { return nil }
        let keys = state.config.apiKeys.filter { $0.quotas != nil || $0.budget != nil }
        let (windows, used) = try await store.usage(keys: keys.map(\.name))
        let report = QuotaUsageReport(keys: keys, windows: windows, used: used)
        for line in report.lines {
            metrics.recordQuotaRemaining(key: line.key, quota: line.quota, remaining: max(0, line.limit - line.used))
        }
        return report
    }
}
