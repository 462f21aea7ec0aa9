import Testing

@testable import RelayCore
@testable import RelayWire

/// Requests recorded on one thread into series that change from one to the next each count in
/// their own series (the last series a thread used is kept at hand).
struct RelayMetricsTests {
    @Test func seriesRecordedInTurnsEachCountTheirOwn() {
        let metrics = RelayMetrics()
        var expected: [String: Int] = [:]
        var expectedTokens: [String: Int] = [:]
        for index in 0..<60 {
            let key = index % 3 == 0 ? "team-a" : "team-b"
            let backend = index % 2 == 0 ? "local" : "cloud"
            let status = index % 5 == 0 ? 502 : 200
            metrics.recordRequest(
                model: "chat", backend: backend, key: key, status: status, duration: .milliseconds(5),
                timeToFirstToken: nil, overhead: nil, usage: Usage(promptTokens: 3, completionTokens: 1))
            expected[
                #"relay_requests_total{model="chat",backend="\#(backend)",key="\#(key)",status="\#(status)"}"#,
                default: 0] += 1
            expectedTokens[#"relay_tokens_total{model="chat",key="\#(key)",kind="prompt"}"#, default: 0] += 3
        }
        var exposition: [UInt8] = []
        metrics.registry.emit(into: &exposition)
        let values = MetricsTests.series(String(decoding: exposition, as: UTF8.self))
        for (series, count) in expected.merging(expectedTokens, uniquingKeysWith: +) {
            #expect(values[series] == Double(count), "\(series)")
        }
        #expect(values[#"relay_request_duration_seconds_count{model="chat",backend="local"}"#] == 30)
    }
}
