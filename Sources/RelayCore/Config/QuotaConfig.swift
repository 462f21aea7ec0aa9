/// A key's limits over calendar windows in UTC (SPEC §10): `quotas:`.
package struct Quotas: Sendable, Equatable {
    var requestsPerDay: Int?
    var tokensPerDay: Int?
    var tokensPerMonth: Int?
}

/// A key's money budget (SPEC §10): `budget:`.
package struct Budget: Sendable, Equatable {
    /// Which calls the budget counts and closes.
    enum Scope: String, Sendable, CaseIterable {
        /// Every priced call: an exhausted budget refuses the key's requests (429 `budget_exceeded`).
        case all
        /// Calls to fallback targets only: an exhausted budget closes the cloud fallback.
        case fallback
    }

    var usdPerMonth: Double
    var appliesTo: Scope = .all
}

/// What a target's tokens cost (SPEC §10): `price:` on a model, a backend or a fallback entry, in
/// USD per million tokens. None is free, as local GPUs usually are.
package struct Price: Sendable, Equatable {
    var inputPerMTok: Double
    var outputPerMTok: Double

    /// The cost of `prompt` and `completion` tokens in micro-dollars, rounded up: a millionth of
    /// a dollar for each token at a price of one dollar a million.
    func microUSD(prompt: Int, completion: Int) -> Int64 {
        let cost = Double(prompt) * inputPerMTok + Double(completion) * outputPerMTok
        return cost >= Double(Int64.max) ? Int64.max : Int64(cost.rounded(.up))
    }
}

extension RelayConfig {
    /// Whether some key has quotas or a budget: only then are counters kept (SPEC §10).
    var countsQuotas: Bool { apiKeys.contains { $0.quotas != nil || $0.budget != nil } }
}
