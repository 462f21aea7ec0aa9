import RelayWire

/// What one call holds of its key's quotas or budget (SPEC §10): the amounts reserved in each
/// meter, in the windows they were counted in, settled to what the call really cost when it
/// ends (`CallOwner.settle`).
///
/// A spend hold is taken for each attempt at a priced target: its cost at the target's price,
/// counted against the key's budget when one applies (`windows` is nil when none does: the
/// spend is then only reported, as `relay_spend_usd_total`).
struct QuotaHold: Sendable {
    let key: String
    /// Where the amounts were counted; nil: not counted in a store.
    let windows: QuotaWindows?
    let reserved: [QuotaMeter: Int64]
    /// A spend hold's price and model.
    let spend: (price: Price, model: String)?

    /// What the call cost in each reserved meter: the request stays counted (it was admitted);
    /// tokens and spend are the real usage's, nothing for a call refunded.
    func actual(_ usage: Usage?) -> [QuotaMeter: Int64] {
        var actual: [QuotaMeter: Int64] = [:]
        for meter in reserved.keys {
            switch meter {
            case .requestsPerDay: actual[meter] = reserved[meter]
            case .tokensPerDay, .tokensPerMonth: actual[meter] = Int64(usage?.totalTokens ?? 0)
            case .usdPerMonth: actual[meter] = cost(of: usage)
            }
        }
        return actual
    }

    /// The spend of `usage` at the hold's price, in micro-dollars.
    func cost(of usage: Usage?) -> Int64 {
        guard let spend, let usage else { return 0 }
        return spend.price.microUSD(prompt: usage.promptTokens, completion: usage.completionTokens)
    }
}
