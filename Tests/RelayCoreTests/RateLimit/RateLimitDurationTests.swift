import Testing

@testable import RelayCore
@testable import RelayWire

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
        #expect(
            snapshot.headLines
                == "x-ratelimit-limit-requests: 60\r\nx-ratelimit-remaining-requests: 59\r\n"
                + "x-ratelimit-reset-requests: 1s\r\nx-ratelimit-limit-tokens: 1000\r\n"
                + "x-ratelimit-remaining-tokens: 0\r\nx-ratelimit-reset-tokens: 6m0s\r\n")
        #expect(RateLimitSnapshot().headLines.isEmpty)
    }

    @Test func theLongestHeadLinesFitTheirRoom() {
        let longest = WindowSnapshot(limit: .min, remaining: .min, reset: .seconds(Int64.max / 1000))
        let snapshot = RateLimitSnapshot(requests: longest, tokens: longest)
        #expect(snapshot.headLines.utf8.count <= RateLimitSnapshot.mostHeadBytes)
        let lastLine = "x-ratelimit-reset-tokens: \(RateLimitDuration.format(longest.reset))\r\n"
        #expect(snapshot.headLines.hasSuffix(lastLine))
    }
}

extension RateLimitSnapshot {
    /// What `putHeadLines` writes, as text.
    var headLines: String {
        var room = [UInt8](repeating: 0, count: Self.mostHeadBytes + 64)
        let count = room.withUnsafeMutableBytes { out in
            var writer = RawByteWriter(out: out)
            putHeadLines(into: &writer)
            return writer.at
        }
        return String(decoding: room[..<count], as: UTF8.self)
    }
}
