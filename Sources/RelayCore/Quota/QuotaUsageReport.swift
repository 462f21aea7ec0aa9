import Glibc
import RelayWire

/// Each key's quotas and budget: what is used, the limit, and when the window resets (SPEC
/// §10). `GET /admin/usage` answers it as JSON and `relay usage` prints it as a table, both from
/// the store the gateway counts in.
///
/// ```swift
/// let (windows, used) = try await store.usage(keys: keys.map(\.name))
/// let report = QuotaUsageReport(keys: keys, windows: windows, used: used)
/// print(report.table())
/// ```
package struct QuotaUsageReport: Sendable {
    package struct Line: Sendable, Equatable {
        package let key: String
        /// The quota's name (`requests_per_day`, ...), or `usd_per_month` for the budget.
        package let quota: String
        /// Requests or tokens; US dollars for the budget.
        package let used: Double
        package let limit: Double
        /// The first second of the next window, in Unix seconds.
        package let resetAt: Int64
    }

    package let lines: [Line]

    /// The keys with quotas or a budget, in the config's order; each quota in the order SPEC
    /// names them.
    init(keys: [APIKeyConfig], windows: QuotaWindows, used: [String: [QuotaMeter: Int64]]) {
        var lines: [Line] = []
        for key in keys {
            let counted = used[key.name] ?? [:]
            let limits: [(QuotaMeter, Int?)] = [
                (.requestsPerDay, key.quotas?.requestsPerDay), (.tokensPerDay, key.quotas?.tokensPerDay),
                (.tokensPerMonth, key.quotas?.tokensPerMonth),
            ]
            for case (let meter, let limit?) in limits {
                lines.append(
                    Line(
                        key: key.name, quota: meter.rawValue, used: Double(counted[meter] ?? 0), limit: Double(limit),
                        resetAt: windows.resetAt(meter.period)))
            }
            if let budget = key.budget {
                let meter = QuotaMeter.usdPerMonth
                lines.append(
                    Line(
                        key: key.name, quota: meter.rawValue, used: Double(counted[meter] ?? 0) / 1_000_000,
                        limit: budget.usdPerMonth, resetAt: windows.resetAt(meter.period)))
            }
        }
        self.lines = lines
    }

    /// `{"keys": [{"key": K, "quotas": [{"quota", "used", "limit", "remaining", "reset"}]}]}`,
    /// `reset` an RFC 3339 time (UTC).
    package func json() -> [UInt8] {
        var keys = JSONArrayBuilder()
        var index = 0
        while index < lines.count {
            let key = lines[index].key
            var quotas = JSONArrayBuilder()
            while index < lines.count, lines[index].key == key {
                let line = lines[index]
                var quota = JSONObjectBuilder()
                quota.add("quota", string: line.quota)
                quota.add("used", raw: Array(Self.number(line.used).utf8))
                quota.add("limit", raw: Array(Self.number(line.limit).utf8))
                quota.add("remaining", raw: Array(Self.number(max(0, line.limit - line.used)).utf8))
                quota.add("reset", string: RFC3339Time.format(unixSeconds: line.resetAt))
                quotas.append(raw: quota.bytes())
                index += 1
            }
            var entry = JSONObjectBuilder()
            entry.add("key", string: key)
            entry.add("quotas", raw: quotas.bytes())
            keys.append(raw: entry.bytes())
        }
        var out = JSONObjectBuilder()
        out.add("keys", raw: keys.bytes())
        return out.bytes()
    }

    /// The same as a table of aligned columns, one line a quota.
    package func table() -> String {
        let header = ["KEY", "QUOTA", "USED", "LIMIT", "REMAINING", "RESETS (UTC)"]
        let rows = lines.map { line in
            [
                line.key, line.quota, Self.number(line.used), Self.number(line.limit),
                Self.number(max(0, line.limit - line.used)), RFC3339Time.format(unixSeconds: line.resetAt),
            ]
        }
        guard !rows.isEmpty else { return "No key has quotas or a budget.\n" }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        return ([header] + rows).map { row in
            row.enumerated().map { column, text in
                column == row.count - 1 ? text : text + String(repeating: " ", count: widths[column] - text.count)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    /// Whole numbers as such, dollars to the cent's hundredth.
    private static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        var text = fourDecimals(value)
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }

    /// `value` as C's `printf("%.4f")` writes it: rounded to four decimals, never in exponent form.
    private static func fourDecimals(_ value: Double) -> String {
        // The largest Double has 309 digits; with a sign, the point and four decimals it fits.
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 320) { buffer in
            _ = withVaList([value]) { vsnprintf(buffer.baseAddress, buffer.count, "%.4f", $0) }
            return String(cString: buffer.baseAddress!)
        }
    }
}
