/// OpenAI's duration format for `x-ratelimit-reset-*` (Go's `time.Duration` text, to the
/// millisecond): `250ms`, `1s`, `1.5s`, `1m30s`, `6m0s`, `1h0m0s`, and `0s` for nothing.
///
/// ```swift
/// RateLimitDuration.format(.seconds(90))  // "1m30s"
/// ```
public enum RateLimitDuration {
    public static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let milliseconds = max(0, seconds * 1000 + attoseconds / 1_000_000_000_000_000)
        if milliseconds == 0 { return "0s" }
        if milliseconds < 1000 { return "\(milliseconds)ms" }
        let hours = milliseconds / 3_600_000
        let minutes = milliseconds / 60_000 % 60
        let wholeSeconds = milliseconds / 1000 % 60
        let fraction = milliseconds % 1000
        var text = ""
        if hours > 0 { text += "\(hours)h" }
        if hours > 0 || minutes > 0 { text += "\(minutes)m" }
        text += "\(wholeSeconds)"
        if fraction > 0 {
            var digits = String(fraction)
            digits = String(repeating: "0", count: 3 - digits.count) + digits
            while digits.hasSuffix("0") { digits.removeLast() }
            text += ".\(digits)"
        }
        return text + "s"
    }
}
