/// Who a request comes from: an `api_keys` entry, as the rest of the gateway sees it.
package struct Principal: Sendable, Equatable {
    package var name: String
    /// Model names this key may use; `nil` = all (`"*"`).
    var scopes: Set<String>?
    package var limits: Limits
    var mayFallBack: Bool
    var fallbackTPM: Int?
    /// Waiting for a busy model, higher goes first.
    var priority: Int
    /// Limits over calendar days and months, and the monthly budget (SPEC §10).
    let quotas: Quotas?
    let budget: Budget?
    /// `quotas` as the quota store takes them, made once here rather than for every request.
    let quotaLimits: [QuotaMeter: Int64]
    /// `budget` in micro-dollars, the unit spend is counted in.
    let budgetMicroUSD: Int64?

    package init(_ entry: APIKeyConfig, defaultLimits: Limits?) {
        self.name = entry.name
        self.scopes = entry.scopes.contains("*") ? nil : Set(entry.scopes)
        let own = entry.limits ?? Limits()
        self.limits = Limits(
            rpm: own.rpm ?? defaultLimits?.rpm,
            tpm: own.tpm ?? defaultLimits?.tpm,
            maxParallel: own.maxParallel ?? defaultLimits?.maxParallel
        )
        self.mayFallBack = entry.fallback
        self.fallbackTPM = entry.fallbackTPM
        self.priority = entry.priority
        self.quotas = entry.quotas
        self.budget = entry.budget
        var quotaLimits: [QuotaMeter: Int64] = [:]
        quotaLimits[.requestsPerDay] = entry.quotas?.requestsPerDay.map(Int64.init)
        quotaLimits[.tokensPerDay] = entry.quotas?.tokensPerDay.map(Int64.init)
        quotaLimits[.tokensPerMonth] = entry.quotas?.tokensPerMonth.map(Int64.init)
        self.quotaLimits = quotaLimits
        self.budgetMicroUSD = entry.budget.map { Int64(($0.usdPerMonth * 1_000_000).rounded(.down)) }
    }
}
