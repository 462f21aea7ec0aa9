import Foundation
import NIOCore
import Testing

@testable import RelayCore
@testable import RelayWire

/// The access line written straight as JSON is the line the general log format writes.
struct AccessLineTests {
    static let date = Date(timeIntervalSince1970: 1_795_000_000.123)

    private func sameLine(_ record: AccessRecord, end: NIODeadline) {
        let lines = LogLines()
        let sink = LogSink { lines.append(Array($0)) }
        record.emitJSON(to: sink, at: end, date: Self.date)
        sink.flush()
        let direct = String(lines.all.dropLast())
        #expect(lines.all.last == "\n")
        let general = String(decoding: record.line(at: end, date: Self.date).render(.json), as: UTF8.self)
        #expect(direct == general)
        #expect((try? JSONSerialization.jsonObject(with: Data(direct.utf8))) is [String: Any])
    }

    @Test func aPlainRequestsLine() {
        var record = AccessRecord(requestID: "3bd035e8-1fdc-4612-9a1b-df06feac0227")
        record.clientIP = IPAddress("10.1.2.3")
        record.trace = TraceContext(incoming: nil)
        record.key = "team-a"
        record.model = "chat"
        record.backend = "vllm-1"
        record.upstreamModel = "Qwen/Qwen2.5-0.5B-Instruct"
        record.status = 200
        record.attempts = 1
        record.usage = Usage(promptTokens: 12, completionTokens: 10)
        record.handedOverAt = record.start + .microseconds(2_345)
        record.upstreamTime = .microseconds(2_000)
        sameLine(record, end: record.start + .microseconds(3_066))
    }

    @Test func aStreamWithEveryOptionalField() {
        var record = AccessRecord(requestID: "req \"quoted\"\n")
        record.status = 200
        record.stream = true
        record.firstTokenAt = record.start + .nanoseconds(1_343_499)
        record.usage = Usage(promptTokens: 5, completionTokens: 0, estimated: true)
        record.attempts = 2
        record.fallbackFrom = "local"
        record.tried = ["local: connection refused", "second: 503"]
        record.error = "client disconnected: \"quoted\", a tab\t, \u{1}, a backslash \\ and é"
        sameLine(record, end: record.start + .seconds(1_577))
    }

    @Test func anErrorLineAtEveryDurationShape() {
        for microseconds: Int64 in [0, 1, 5, 10, 120, 999, 1_000, 1_500, 2_000, 1_577_048, 1_234_567_890] {
            var record = AccessRecord(requestID: "r")
            record.status = 502
            record.error = "upstream failed"
            record.handedOverAt = record.start + .microseconds(microseconds)
            sameLine(record, end: record.start + .microseconds(microseconds))
        }
    }
}
