/// What a key's quotas and budget count (SPEC §10), each over its calendar window.
enum QuotaMeter: String, Sendable, CaseIterable, Hashable {
    case requestsPerDay = "requests_per_day"
    case tokensPerDay = "tokens_per_day"
    case tokensPerMonth = "tokens_per_month"
    /// Spend, in micro-dollars (millionths of a USD), so that sums are exact.
    case usdPerMonth = "usd_per_month"

    var period: QuotaPeriod {
        switch self {
        case .requestsPerDay, .tokensPerDay: .day
        case .tokensPerMonth, .usdPerMonth: .month
        }
    }
}
