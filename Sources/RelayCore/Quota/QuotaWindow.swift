/// The calendar windows quotas and budgets count over (SPEC §10): UTC days and UTC months,
/// each named by a whole number so that every replica, and Redis's own clock, name them alike.
///
/// A day is the days since 1970-01-01 (UTC); a month the months since January 1970. Leap years
/// and months' lengths come from the civil calendar (Howard Hinnant's `civil_from_days`), not
/// from a time zone database: UTC has neither offsets nor daylight saving.
///
/// ```swift
/// let window = QuotaWindows(unixSeconds: 1_796_600_000)
/// window.day            // 20793 (2026-12-06)
/// window.resetAt(.month) // the first second of next month, in Unix seconds
/// ```
struct QuotaWindows: Sendable, Equatable, Hashable {
    /// Days since 1970-01-01.
    let day: Int64
    /// Months since January 1970.
    let month: Int64

    init(day: Int64, month: Int64) {
        self.day = day
        self.month = month
    }

    init(unixSeconds: Int64) {
        let day = Self.floorDivide(unixSeconds, 86_400)
        let (year, month, _) = Self.civil(fromDays: day)
        self.init(day: day, month: (year - 1970) * 12 + (month - 1))
    }

    /// The window of `period`.
    func id(of period: QuotaPeriod) -> Int64 {
        period == .day ? day : month
    }

    /// When the window of `period` ends: the first second of the next day or month, Unix seconds.
    func resetAt(_ period: QuotaPeriod) -> Int64 {
        switch period {
        case .day:
            return (day + 1) * 86_400
        case .month:
            let next = month + 1
            return Self.days(
                year: 1970 + Self.floorDivide(next, 12), month: next - Self.floorDivide(next, 12) * 12 + 1, day: 1)
                * 86_400
        }
    }

    /// The date of a day since 1970-01-01: (year, month 1...12, day 1...31).
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = floorDivide(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthPrime = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthPrime + 2) / 5 + 1
        let month = monthPrime < 10 ? monthPrime + 3 : monthPrime - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Days since 1970-01-01 of a date (month 1...12).
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDivide(y, 400)
        let yearOfEra = y - era * 400
        let monthPrime = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * monthPrime + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        let quotient = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? quotient - 1 : quotient
    }
}

/// How long a quota's window lasts.
enum QuotaPeriod: String, Sendable {
    case day
    case month
}
