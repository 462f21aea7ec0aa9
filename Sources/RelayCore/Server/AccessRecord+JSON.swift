import Foundation
import NIOCore

extension AccessRecord {
    /// The access line as JSON, written straight into one buffer: the same bytes as
    /// `line(at:date:).render(.json)`, without building the `LogLine` in between (its list of
    /// keys and boxed values, each key escaped again). One is written per request.
    func json(at end: NIODeadline = .now(), date: Date = Date()) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        put(#"{"ts":""#, &out)
        out += LogLine.timestamp(date).utf8
        put(#"","level":""#, &out)
        put(status >= 500 ? "error" : "info", &out)
        put(#"","msg":"request","request_id":"#, &out)
        JSONString.encode(requestID, into: &out)
        string(",\"client_ip\":", clientIP?.text, &out)
        string(",\"trace_id\":", trace?.traceID, &out)
        string(",\"key\":", key, &out)
        string(",\"model\":", model, &out)
        string(",\"backend\":", backend, &out)
        string(",\"upstream_model\":", upstreamModel, &out)
        put(#","status":"#, &out)
        LogLine.appendDecimal(status, to: &out)
        put(stream ? #","stream":true"# : #","stream":false"#, &out)
        put(#","duration_ms":"#, &out)
        Self.appendMilliseconds(microseconds: Self.microseconds(from: start, to: end), to: &out)
        if let firstTokenAt {
            put(#","ttft_ms":"#, &out)
            Self.appendMilliseconds(microseconds: Self.microseconds(from: start, to: firstTokenAt), to: &out)
        }
        if let overhead {
            put(#","overhead_ms":"#, &out)
            Self.appendMilliseconds(microseconds: overhead.nanoseconds / 1000, to: &out)
        }
        int(",\"prompt_tokens\":", usage?.promptTokens, &out)
        int(",\"completion_tokens\":", usage?.completionTokens, &out)
        if usage?.estimated == true { put(#","usage_estimated":true"#, &out) }
        int(",\"attempts\":", attempts, &out)
        string(",\"fallback_from\":", fallbackFrom, &out)
        if !tried.isEmpty {
            put(#","failed_attempts":["#, &out)
            for (position, attempt) in tried.enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                JSONString.encode(attempt, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        }
        string(",\"error\":", error, &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// `milliseconds(from:to:)`'s value in microseconds, exactly: it rounds to them.
    static func microseconds(from start: NIODeadline, to end: NIODeadline) -> Int64 {
        Int64((Double((end - start).nanoseconds) / 1000).rounded())
    }

    /// A whole number of microseconds as milliseconds, written as Swift writes the `Double`
    /// (`1577.048`, `0.005`, `2.0`): the shortest decimal that reads back as the same value.
    static func appendMilliseconds(microseconds: Int64, to out: inout [UInt8]) {
        guard microseconds >= 0 else {
            out += String(Double(microseconds) / 1000).utf8
            return
        }
        LogLine.appendDecimal(Int(microseconds / 1000), to: &out)
        out.append(UInt8(ascii: "."))
        var fraction = Int(microseconds % 1000)
        guard fraction > 0 else {
            out.append(UInt8(ascii: "0"))
            return
        }
        var digits = 3
        while fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        var divisor = digits == 3 ? 100 : digits == 2 ? 10 : 1
        while divisor > 0 {
            out.append(UInt8(ascii: "0") + UInt8(fraction / divisor % 10))
            divisor /= 10
        }
    }

    private func put(_ text: StaticString, _ out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    private func string(_ key: StaticString, _ value: String?, _ out: inout [UInt8]) {
        guard let value else { return }
        put(key, &out)
        JSONString.encode(value, into: &out)
    }

    private func int(_ key: StaticString, _ value: Int?, _ out: inout [UInt8]) {
        guard let value else { return }
        put(key, &out)
        LogLine.appendDecimal(value, to: &out)
    }
}
