/// OpenAI's duration format for `x-ratelimit-reset-*` (Go's `time.Duration` text, to the
/// millisecond): `250ms`, `1s`, `1.5s`, `1m30s`, `6m0s`, `1h0m0s`, and `0s` for nothing.
///
/// ```swift
/// RateLimitDuration.format(.seconds(90))  // "1m30s"
/// ```
package enum RateLimitDuration {
    package static func format(_ duration: Duration) -> String {
        RawByteWriter.text { put(duration, into: &$0) }
    }

    static func put(_ duration: Duration, into writer: inout RawByteWriter) {
        put(milliseconds: milliseconds(duration), into: &writer)
    }

    /// Whole milliseconds of `duration`: `components` divides a 128-bit count of attoseconds, so
    /// the hot path keeps milliseconds and calls this only for a `Duration` it was given.
    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// `format`'s text, 24 bytes at most, written into the head of every answer twice
    /// (`x-ratelimit-reset-*`): as bytes, with no string interpolated.
    static func put(milliseconds: Int64, into writer: inout RawByteWriter) {
        let milliseconds = Int(max(0, milliseconds))
        if milliseconds < 1000 {
            writer.putDecimal(milliseconds)
            writer.put(milliseconds == 0 ? "s" : "ms")
            return
        }
        let hours = milliseconds / 3_600_000
        let minutes = milliseconds / 60_000 % 60
        if hours > 0 {
            writer.putDecimal(hours)
            writer.put("h")
        }
        if hours > 0 || minutes > 0 {
            writer.putDecimal(minutes)
            writer.put("m")
        }
        writer.putDecimal(milliseconds / 1000 % 60)
        let fraction = milliseconds % 1000
        if fraction > 0 {
            writer.put(".")
            writer.putThousandths(fraction)
        }
        writer.put("s")
    }
}
