import RelayCore
import Testing

@Suite struct RateLimitDurationTests {
    @Test(arguments: [
        (Duration.zero, "0s"),
        (.milliseconds(250), "250ms"),
        (.milliseconds(1), "1ms"),
        (.seconds(1), "1s"),
        (.milliseconds(1500), "1.5s"),
        (.milliseconds(17_250), "17.25s"),
        (.seconds(60), "1m0s"),
        (.seconds(90), "1m30s"),
        (.seconds(360), "6m0s"),
        (.milliseconds(61_005), "1m1.005s"),
        (.seconds(3600), "1h0m0s"),
        (.seconds(3723), "1h2m3s"),
        (.milliseconds(-5), "0s"),
        (.milliseconds(999), "999ms"),
        (.milliseconds(1050), "1.05s"),
        (.milliseconds(36_000_010), "10h0m0.01s"),
        (.seconds(Int64.max / 1000), "2562047788015h12m55s"),
    ])
    func formatsLikeOpenAI(duration: Duration, expected: String) {
        #expect(RateLimitDuration.format(duration) == expected)
    }

    @Test func snapshotNamesTheSixHeaders() {
        let snapshot = RateLimitSnapshot(
            requests: WindowSnapshot(limit: 60, remaining: 59, reset: .seconds(1)),
            tokens: WindowSnapshot(limit: 1000, remaining: 0, reset: .seconds(360))
        )
        let fields = snapshot.headerFields
        #expect(
            fields.map(\.name.rawName) == [
                "x-ratelimit-limit-requests", "x-ratelimit-remaining-requests", "x-ratelimit-reset-requests",
                "x-ratelimit-limit-tokens", "x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens",
            ])
        #expect(fields.map(\.value) == ["60", "59", "1s", "1000", "0", "6m0s"])
        #expect(RateLimitSnapshot().headerFields.isEmpty)
    }
}
