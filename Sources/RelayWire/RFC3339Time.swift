/// A moment as RFC 3339 text in UTC to the second, `2026-12-07T10:00:00Z` (20 bytes), as
/// Anthropic's `anthropic-ratelimit-*-reset` fields carry it: written as bytes, with no
/// calendar library on the path.
package enum RFC3339Time {
    package static func format(unixSeconds: Int64) -> String {
        RawByteWriter.text { put(unixSeconds: unixSeconds, into: &$0) }
    }

    static func put(unixSeconds: Int64, into out: inout RawByteWriter) {
        let seconds = max(0, unixSeconds)
        let days = seconds / 86_400
        let time = seconds % 86_400
        // Days since 1970-01-01 to a civil date (Howard Hinnant's `civil_from_days`).
        let shifted = days + 719_468
        let era = shifted / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        out.putDecimal(Int(year), digits: 4)
        out.put("-")
        out.putDecimal(Int(month), digits: 2)
        out.put("-")
        out.putDecimal(Int(day), digits: 2)
        out.put("T")
        out.putDecimal(Int(time / 3600), digits: 2)
        out.put(":")
        out.putDecimal(Int(time / 60 % 60), digits: 2)
        out.put(":")
        out.putDecimal(Int(time % 60), digits: 2)
        out.put("Z")
    }
}
