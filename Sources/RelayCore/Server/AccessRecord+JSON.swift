import FoundationEssentials
import NIOCore
import RelayWire

extension AccessRecord {
    /// Emits the access line as JSON, written straight into the sink's batch: the same bytes as
    /// `line(at:date:).render(.json)`, without building the `LogLine` in between (its list of
    /// keys and boxed values, each key escaped again). One is written per request.
    func emitJSON(to sink: LogSink, at end: NIODeadline = .now(), date: Date = Date()) {
        let clientIP = clientIP?.text
        // The writer checks no bounds: `mostJSONCount` must be enough, and the sink checks it.
        sink.emit(most: mostJSONCount(clientIP: clientIP)) { room in
            var out = RawByteWriter(out: room)
            write(into: &out, clientIP: clientIP, end: end, date: date)
            return out.at
        }
    }

    /// Room for the access line: the keys, the timestamp and the numbers fit in the fixed part;
    /// each string gets room for the most its escaping can take.
    private func mostJSONCount(clientIP: String?) -> Int {
        func most(_ value: String?) -> Int { value.map(JSONString.mostEncodedCount) ?? 0 }
        let strings =
            most(requestID) + most(clientIP) + most(key) + most(model) + most(backend) + most(upstreamModel)
            + most(fallbackFrom) + most(error) + tried.reduce(0) { $0 + most($1) + 1 }
        return 1024 + strings
    }

    private func write(into out: inout RawByteWriter, clientIP: String?, end: NIODeadline, date: Date) {
        out.put(#"{"ts":""#)
        LogLine.putTimestamp(date, into: &out)
        out.put(#"","level":""#)
        out.put(status >= 500 ? "error" : "info")
        out.put(#"","msg":"request","request_id":"#)
        JSONString.encode(requestID, into: &out)
        string(",\"client_ip\":", clientIP, &out)
        if let trace {
            // 32 hexadecimal digits: nothing to escape.
            out.put(#","trace_id":""#)
            trace.putTraceID(into: &out)
            out.put(byte: UInt8(ascii: "\""))
        }
        string(",\"key\":", key, &out)
        string(",\"model\":", model, &out)
        string(",\"backend\":", backend, &out)
        string(",\"upstream_model\":", upstreamModel, &out)
        out.put(#","status":"#)
        out.putDecimal(status)
        out.put(stream ? #","stream":true"# : #","stream":false"#)
        // Only another API than chat is named, so chat's lines stay as they were.
        if api != .chat {
            out.put(#","api":""#)
            _ = out.put(api.rawValue)
            out.put(#"""#)
        }
        out.put(#","duration_ms":"#)
        out.putMilliseconds(microseconds: Self.microseconds(from: start, to: end))
        if let firstTokenAt {
            out.put(#","ttft_ms":"#)
            out.putMilliseconds(microseconds: Self.microseconds(from: start, to: firstTokenAt))
        }
        if let overhead {
            out.put(#","overhead_ms":"#)
            out.putMilliseconds(microseconds: overhead.nanoseconds / 1000)
        }
        int(",\"prompt_tokens\":", usage?.promptTokens, &out)
        int(",\"completion_tokens\":", usage?.completionTokens, &out)
        if usage?.estimated == true { out.put(#","usage_estimated":true"#) }
        int(",\"attempts\":", attempts, &out)
        string(",\"fallback_from\":", fallbackFrom, &out)
        if !tried.isEmpty {
            out.put(#","failed_attempts":["#)
            for (position, attempt) in tried.enumerated() {
                if position > 0 { out.put(byte: UInt8(ascii: ",")) }
                JSONString.encode(attempt, into: &out)
            }
            out.put(byte: UInt8(ascii: "]"))
        }
        string(",\"error\":", error, &out)
        out.put(byte: UInt8(ascii: "}"))
    }

    /// `milliseconds(from:to:)`'s value in microseconds, exactly: it rounds to them.
    static func microseconds(from start: NIODeadline, to end: NIODeadline) -> Int64 {
        Int64((Double((end - start).nanoseconds) / 1000).rounded())
    }

    private func string(_ key: StaticString, _ value: String?, _ out: inout RawByteWriter) {
        guard let value else { return }
        out.put(key)
        JSONString.encode(value, into: &out)
    }

    private func int(_ key: StaticString, _ value: Int?, _ out: inout RawByteWriter) {
        guard let value else { return }
        out.put(key)
        out.putDecimal(value)
    }
}
