import Testing

@testable import RelayCore

@Suite("relay usage's table")
struct QuotaUsageTableTests {
    @Test func columnsAreAlignedAndDollarsRoundedToFourDecimals() throws {
        let hash = "sha256:" + String(repeating: "a", count: 64)
        let config = try parseValid(
            """
            state_path: /var/lib/relay/state.db
            backends:
              gpu: {type: vllm, base_url: "http://h"}
            models:
              m: {backend: gpu}
            api_keys:
              - {name: ops, hash: "\(hash)", scopes: ["*"], budget: {usd_per_month: 50}}
              - {name: analytics-team, hash: "\(hash.dropLast())b", scopes: ["*"], budget: {usd_per_month: 0.5}}
            """)
        let report = QuotaUsageReport(
            keys: config.apiKeys, windows: QuotaWindows(unixSeconds: 1_796_648_400),
            used: ["ops": [.usdPerMonth: 1_234_567], "analytics-team": [.usdPerMonth: 50]])
        #expect(
            report.table() == """
                KEY             QUOTA          USED    LIMIT  REMAINING  RESETS (UTC)
                ops             usd_per_month  1.2346  50     48.7654    2027-01-01T00:00:00Z
                analytics-team  usd_per_month  0.0001  0.5    0.5        2027-01-01T00:00:00Z

                """)
    }
}
