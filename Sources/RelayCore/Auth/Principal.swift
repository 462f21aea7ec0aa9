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
    var quotas: Quotas?
    var budget: Budget?

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
    }
}
