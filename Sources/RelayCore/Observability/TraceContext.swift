import RelayWire

/// W3C Trace Context (`traceparent`) for one request: the trace it belongs to, and the span id
/// Relay uses as the parent of its upstream calls.
///
/// An incoming `traceparent` is honoured when valid: the upstream sees the same trace id and
/// flags, with Relay's own span id as its parent. An absent or invalid one starts a new trace
/// (flags `01`: Relay records every request, as its access line). Ids come from ``UniqueIDs``.
///
/// ```swift
/// let trace = TraceContext(incoming: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
/// trace.header   // "00-4bf92f3577b34da6a3ce929d0e0e4736-<Relay's span id>-01"
/// trace.traceID  // "4bf92f3577b34da6a3ce929d0e0e4736"
/// ```
struct TraceContext: Sendable {
    /// The `traceparent` value Relay sends upstream (always version `00`).
    let header: String
    /// Whether the incoming `traceparent` was valid (and so its `tracestate` may go on).
    let continued: Bool

    /// The trace id, as in the access line: cut from the header's bytes (it is ASCII), not
    /// walked character by character.
    var traceID: String { String(decoding: header.utf8.dropFirst(3).prefix(32), as: UTF8.self) }

    /// The trace id's 32 bytes, put as they stand in the header (`format` wrote it: 55 bytes).
    func putTraceID(into out: inout RawByteWriter) {
        var header = header
        header.withUTF8 { out.put(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: $0[3..<35]))) }
    }

    init(incoming: String?) {
        let span = Self.nextID()
        if let incoming, let parsed = Self.parse(incoming) {
            header = Self.format(traceHigh: parsed.high, traceLow: parsed.low, span: span.a, flags: parsed.flags)
            continued = true
        } else {
            header = Self.format(traceHigh: span.b, traceLow: span.c, span: span.a, flags: 0x01)
            continued = false
        }
    }

    // MARK: Parsing (https://www.w3.org/TR/trace-context/#traceparent-header)

    /// `version-traceid-parentid-flags`, lowercase hex. Version `ff` is invalid; a later version
    /// than `00` is read for its first four fields, which must then end or be followed by `-`.
    /// Flags other than sampled (0x01) and random (0x02, Level 2) are not passed on.
    static func parse(_ text: String) -> (high: UInt64, low: UInt64, flags: UInt8)? {
        let bytes = text.utf8
        guard bytes.count >= 55 else { return nil }
        return bytes.withContiguousStorageIfAvailable { buffer -> (UInt64, UInt64, UInt8)? in
            guard let version = hex(buffer, 0, 2), version != 0xFF else { return nil }
            guard version != 0 || buffer.count == 55 else { return nil }
            guard buffer.count == 55 || buffer[55] == UInt8(ascii: "-") else { return nil }
            guard buffer[2] == dash, buffer[35] == dash, buffer[52] == dash else { return nil }
            guard let high = hex(buffer, 3, 16), let low = hex(buffer, 19, 16), high | low != 0 else { return nil }
            guard let parent = hex(buffer, 36, 16), parent != 0 else { return nil }
            guard let flags = hex(buffer, 53, 2) else { return nil }
            return (high, low, UInt8(truncatingIfNeeded: flags) & 0x03)
        } ?? parse(String(decoding: Array(bytes), as: UTF8.self))
    }

    private static let dash = UInt8(ascii: "-")

    /// `count` lowercase hex digits from `start`; nil on anything else (uppercase included).
    private static func hex(_ buffer: UnsafeBufferPointer<UInt8>, _ start: Int, _ count: Int) -> UInt64? {
        var value: UInt64 = 0
        for index in start..<start + count {
            let byte = buffer[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            default: return nil
            }
            value = value << 4 | UInt64(digit)
        }
        return value
    }

    // MARK: Ids

    /// Three ids for one request: span (never zero), and a trace id's two halves.
    private static func nextID() -> (a: UInt64, b: UInt64, c: UInt64) {
        let (span, high, low) = UniqueIDs.next()
        return (span == 0 ? 1 : span, high, low | 1)
    }

    // MARK: Formatting

    private static let digits = Array("0123456789abcdef".utf8)

    static func format(traceHigh: UInt64, traceLow: UInt64, span: UInt64, flags: UInt8) -> String {
        String(unsafeUninitializedCapacity: 55) { out in
            func put(_ value: UInt64, at start: Int, digits count: Int) {
                for index in 0..<count {
                    out[start + index] = digits[Int(truncatingIfNeeded: value >> (4 * (count - 1 - index))) & 0xF]
                }
            }
            out[0] = UInt8(ascii: "0")
            out[1] = UInt8(ascii: "0")
            out[2] = dash
            put(traceHigh, at: 3, digits: 16)
            put(traceLow, at: 19, digits: 16)
            out[35] = dash
            put(span, at: 36, digits: 16)
            out[52] = dash
            put(UInt64(flags), at: 53, digits: 2)
            return 55
        }
    }
}
