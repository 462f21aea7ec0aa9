import Glibc
import NIOConcurrencyHelpers

/// The `Date` header's value (IMF-fixdate, RFC 9110 §5.6.7), formatted at most once a second.
package enum HTTPDate {
    private static let cache = NIOLockedValueBox<(second: Int, text: String)>((-1, ""))

    package static func now() -> String {
        var time = timespec()
        // The clock as of the kernel's last tick: a header in whole seconds needs no finer one,
        // and reading it costs no time-stamp counter read (the slow part of a clock read in a VM).
        clock_gettime(CLOCK_REALTIME_COARSE, &time)
        let second = time.tv_sec
        if let text = cache.withLockedValue({ $0.second == second ? $0.text : nil }) { return text }
        let text = format(epochSeconds: second)
        cache.withLockedValue { $0 = (second, text) }
        return text
    }

    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `Sun, 06 Nov 1994 08:49:37 GMT`
    static func format(epochSeconds: Int) -> String {
        var seconds = time_t(epochSeconds)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let (weekday, month) = (days[Int(parts.tm_wday)], months[Int(parts.tm_mon)])
        let day = "\(weekday), \(two(parts.tm_mday)) \(month) \(1900 + parts.tm_year)"
        return "\(day) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}
