import NIOPosix
import Testing

@testable import RelayCore

/// `quotas`, `budget` and `price` (SPEC §10), and what a price costs.
struct QuotaConfigTests {
    private static let yaml = """
        state_path: /var/lib/relay/state.db
        backends:
          gpu: {type: vllm, base_url: "http://h", price: {input_per_mtok: 0.01, output_per_mtok: 0.02}}
          local: {type: vllm, base_url: "http://l"}
          cloud: {type: openai, base_url: "https://api.openai.com", api_key: k}
        models:
          m:
            backend: [gpu, local]
            price: {input_per_mtok: 1, output_per_mtok: 2}
            fallbacks:
              - {backend: cloud, upstream_model: gpt-4o-mini, price: {input_per_mtok: 0.15, output_per_mtok: 0.6}}
              - cloud
        api_keys:
          - name: team
            hash: \(sha256OfTest)
            scopes: ["*"]
            quotas: {requests_per_day: 9, tokens_per_month: 2000000}
            budget: {usd_per_month: 50, applies_to: fallback}
          - name: plain
            hash: sha256:\(String(repeating: "a", count: 64))
            scopes: ["*"]
        """

    @Test func quotasBudgetsAndPricesAreRead() throws {
        let config = try parseValid(Self.yaml)
        let team = try #require(config.apiKeys.first)
        #expect(team.quotas == Quotas(requestsPerDay: 9, tokensPerDay: nil, tokensPerMonth: 2_000_000))
        #expect(team.budget == Budget(usdPerMonth: 50, appliesTo: .fallback))
        #expect(config.apiKeys[1].quotas == nil && config.apiKeys[1].budget == nil)
        #expect(config.statePath == "/var/lib/relay/state.db")
        #expect(config.countsQuotas)
        let model = try #require(config.models["m"])
        #expect(model.price == Price(inputPerMTok: 1, outputPerMTok: 2))
        #expect(model.fallbacks[0].price == Price(inputPerMTok: 0.15, outputPerMTok: 0.6))
        #expect(model.fallbacks[1].price == nil)
        #expect(config.backends["gpu"]?.price == Price(inputPerMTok: 0.01, outputPerMTok: 0.02))
    }

    @Test func theMostSpecificPriceWins() async throws {
        let config = try parseValid(Self.yaml)
        let backends = config.backends.mapValues {
            Backend(config: $0, eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        }
        let model = try #require(config.models["m"])
        let targets = TargetPlanner.targets(for: model, backends: backends, allowFallback: true)
        let prices = Dictionary(
            targets.map { ("\($0.backend.name)/\($0.isFallback ? $0.upstreamModel : "own")", $0.price) },
            uniquingKeysWith: { first, _ in first })
        #expect(prices["gpu/own"] == Price(inputPerMTok: 0.01, outputPerMTok: 0.02))
        #expect(prices["local/own"] == Price(inputPerMTok: 1, outputPerMTok: 2))
        #expect(prices["cloud/gpt-4o-mini"] == Price(inputPerMTok: 0.15, outputPerMTok: 0.6))
        #expect(prices["cloud/m"] == Price(inputPerMTok: 1, outputPerMTok: 2))
        for backend in backends.values { await backend.shutdown() }
    }

    @Test func aDefaultConfigCountsNothing() throws {
        let config = try parseValid(baseBackends + "models:\n  m: {backend: gpu}\n")
        #expect(!config.countsQuotas)
        #expect(config.statePath == "./relay-state.db")
    }

    @Test func badValuesAreReportedWithTheirPaths() {
        let lines = problemLines(
            baseBackends + """
                models:
                  m: {backend: gpu, price: {input_per_mtok: -1, output_per_mtok: x}}
                api_keys:
                  - name: k
                    hash: \(sha256OfTest)
                    scopes: ["*"]
                    quotas: {requests_per_day: 0, tokens_per_week: 5}
                    budget: {usd_per_month: 0, applies_to: cloud}
                """)
        let expected = [
            "models.m.price.input_per_mtok", "models.m.price.output_per_mtok",
            "api_keys[0].quotas.requests_per_day", "api_keys[0].quotas.tokens_per_week",
            "api_keys[0].budget.usd_per_month", "api_keys[0].budget.applies_to",
        ]
        for path in expected {
            #expect(lines.contains { $0.hasPrefix(path) }, "\(path) not in \(lines)")
        }
        #expect(lines.count == expected.count, "\(lines)")
    }

    @Test func aPriceCostsMicroDollarsRoundedUp() {
        let price = Price(inputPerMTok: 0.15, outputPerMTok: 0.6)
        // 1,000 tokens at $0.15 a million are $0.00015: 150 micro-dollars.
        #expect(price.microUSD(prompt: 1000, completion: 0) == 150)
        #expect(price.microUSD(prompt: 1000, completion: 1000) == 750)
        #expect(price.microUSD(prompt: 1, completion: 0) == 1)
        #expect(Price(inputPerMTok: 0, outputPerMTok: 0).microUSD(prompt: 5, completion: 5) == 0)
    }

    @Test func theUsageReportShowsEachQuotaAndTheBudgetInDollars() throws {
        let config = try parseValid(Self.yaml)
        // 2026-12-07T13:00:00Z.
        let windows = QuotaWindows(unixSeconds: 1_796_648_400)
        let report = QuotaUsageReport(
            keys: config.apiKeys, windows: windows,
            used: ["team": [.requestsPerDay: 3, .tokensPerMonth: 1500, .usdPerMonth: 2_500_000]])
        #expect(
            report.lines.map { "\($0.quota) \($0.used) \($0.limit)" } == [
                "requests_per_day 3.0 9.0", "tokens_per_month 1500.0 2000000.0", "usd_per_month 2.5 50.0",
            ])
        let json = String(decoding: report.json(), as: UTF8.self)
        #expect(
            json.hasPrefix(
                #"{"keys":[{"key":"team","quotas":[{"quota":"requests_per_day","used":3,"limit":9,"remaining":6,"#
                    + #""reset":"2026-12-08T00:00:00Z"}"#), "\(json)")
        #expect(json.contains(#""used":2.5,"limit":50,"remaining":47.5,"reset":"2027-01-01T00:00:00Z""#), "\(json)")
        let table = report.table()
        #expect(table.hasPrefix("KEY   QUOTA"), "\(table)")
        #expect(table.contains("team  usd_per_month     2.5"), "\(table)")
    }
}
