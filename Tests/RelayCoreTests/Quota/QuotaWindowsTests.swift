import Foundation
import Testing

@testable import RelayCore

@Suite struct QuotaWindowsTests {
    /// Unix seconds of an ISO 8601 instant in UTC, read by Foundation rather than by the code under
    /// test.
    static func unix(_ iso: String) throws -> Int64 {
        Int64(try #require(ISO8601DateFormatter().date(from: iso)).timeIntervalSince1970)
    }

    /// The date of a day since 1970-01-01 as [year, month, day], by the code under test.
    static func date(_ days: Int64) -> [Int64] {
        let date = QuotaWindows.civil(fromDays: days)
        return [date.year, date.month, date.day]
    }

    /// Months since January 1970 of a year and month.
    static func monthID(_ year: Int64, _ month: Int64) -> Int64 {
        (year - 1970) * 12 + month - 1
    }

    @Test func theEpochIsDayZeroOfMonthZero() throws {
        let windows = QuotaWindows(unixSeconds: 0)
        #expect(windows == QuotaWindows(day: 0, month: 0))
        #expect(windows.resetAt(.day) == (try Self.unix("1970-01-02T00:00:00Z")))
        #expect(windows.resetAt(.month) == (try Self.unix("1970-02-01T00:00:00Z")))
        #expect(Self.date(0) == [1970, 1, 1])
    }

    @Test func theSecondBeforeTheEpochIsTheLastDayOf1969() {
        let windows = QuotaWindows(unixSeconds: -1)
        #expect(windows == QuotaWindows(day: -1, month: -1))
        #expect(windows.resetAt(.day) == 0)
        #expect(windows.resetAt(.month) == 0)
        #expect(Self.date(-1) == [1969, 12, 31])
    }

    @Test func aLeapYearsFebruaryHasA29th() throws {
        let the28th = QuotaWindows(unixSeconds: try Self.unix("2024-02-28T12:00:00Z"))
        let the29th = QuotaWindows(unixSeconds: try Self.unix("2024-02-29T00:00:00Z"))
        let march = QuotaWindows(unixSeconds: try Self.unix("2024-03-01T00:00:00Z"))
        #expect(the28th.resetAt(.day) == (try Self.unix("2024-02-29T00:00:00Z")))
        #expect(the29th.day == the28th.day + 1)
        #expect(the29th.month == Self.monthID(2024, 2))
        #expect(the29th.month == the28th.month)
        #expect(Self.date(the29th.day) == [2024, 2, 29])
        #expect(the29th.resetAt(.day) == (try Self.unix("2024-03-01T00:00:00Z")))
        #expect(the29th.resetAt(.month) == (try Self.unix("2024-03-01T00:00:00Z")))
        #expect(march.day == the29th.day + 1)
        #expect(march.month == Self.monthID(2024, 3))
    }

    @Test func year2100IsNotALeapYear() throws {
        let the28th = QuotaWindows(unixSeconds: try Self.unix("2100-02-28T23:59:59Z"))
        #expect(the28th.month == Self.monthID(2100, 2))
        #expect(the28th.resetAt(.day) == (try Self.unix("2100-03-01T00:00:00Z")))
        #expect(the28th.resetAt(.month) == (try Self.unix("2100-03-01T00:00:00Z")))
        #expect(Self.date(the28th.day + 1) == [2100, 3, 1])
        #expect(QuotaWindows(unixSeconds: the28th.resetAt(.day)).month == Self.monthID(2100, 3))
    }

    @Test func year2000IsALeapYear() throws {
        let windows = QuotaWindows(unixSeconds: try Self.unix("2000-02-29T08:00:00Z"))
        #expect(Self.date(windows.day) == [2000, 2, 29])
        #expect(windows.month == Self.monthID(2000, 2))
        #expect(windows.resetAt(.month) == (try Self.unix("2000-03-01T00:00:00Z")))
        #expect(QuotaWindows.days(year: 2000, month: 2, day: 29) == windows.day)
    }

    @Test func decemberRollsOverToJanuaryOfTheNextYear() throws {
        let lastSecond = try Self.unix("2023-12-31T23:59:59Z")
        let december = QuotaWindows(unixSeconds: lastSecond)
        let january = QuotaWindows(unixSeconds: lastSecond + 1)
        #expect(december.month == Self.monthID(2023, 12))
        #expect(january.month == Self.monthID(2024, 1))
        #expect(january.month == december.month + 1)
        #expect(december.resetAt(.month) == lastSecond + 1)
        #expect(january.resetAt(.month) == (try Self.unix("2024-02-01T00:00:00Z")))
        #expect(Self.date(january.day) == [2024, 1, 1])
    }

    @Test func aDaysLastSecondAndTheNextDaysFirstAreInDifferentWindows() throws {
        let lastSecond = try Self.unix("2024-05-06T23:59:59Z")
        let today = QuotaWindows(unixSeconds: lastSecond)
        let tomorrow = QuotaWindows(unixSeconds: lastSecond + 1)
        #expect(tomorrow.day == today.day + 1)
        #expect(tomorrow.month == today.month)
        #expect(today.resetAt(.day) == lastSecond + 1)
        #expect(QuotaWindows(unixSeconds: lastSecond - 86_399).day == today.day)
        #expect(tomorrow.resetAt(.day) == lastSecond + 1 + 86_400)
    }

    /// Every day from 1969 to 2101, against Foundation's Gregorian calendar in UTC: the date, the
    /// day back from the date, and the month's window and its end.
    @Test func everyDayAgreesWithFoundationsCalendar() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        let first = QuotaWindows.days(year: 1969, month: 1, day: 1)
        let last = QuotaWindows.days(year: 2101, month: 12, day: 31)
        let expectedDays: Int64 = 133 * 365 + 32
        #expect(last - first + 1 == expectedDays)  // 1972 ... 2096 are 32 leap years; 2100 is not one
        var mismatches: [String] = []
        for day in first...last {
            let date = Date(timeIntervalSince1970: TimeInterval(day * 86_400))
            let parts = calendar.dateComponents([.year, .month, .day], from: date)
            let year = Int64(parts.year!)
            let month = Int64(parts.month!)
            let dayOfMonth = Int64(parts.day!)
            let nextMonth: Date = try #require(
                calendar.date(byAdding: .month, value: 1, to: calendar.startOfMonth(date)))
            let windows = QuotaWindows(unixSeconds: day * 86_400 + 86_399)
            let civilAgrees: Bool = Self.date(day) == [year, month, dayOfMonth]
            let daysAgree: Bool = QuotaWindows.days(year: year, month: month, day: dayOfMonth) == day
            let windowsAgree: Bool = windows.day == day && windows.month == Self.monthID(year, month)
            let resetAgrees: Bool = windows.resetAt(.month) == Int64(nextMonth.timeIntervalSince1970)
            if !(civilAgrees && daysAgree && windowsAgree && resetAgrees) {
                mismatches.append("\(year)-\(month)-\(dayOfMonth) (day \(day))")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
    }
}

extension Calendar {
    fileprivate func startOfMonth(_ date: Date) -> Date {
        self.date(from: dateComponents([.year, .month], from: date))!
    }
}
