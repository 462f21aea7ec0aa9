import Foundation
import Testing

@testable import RelayCore

/// Every log line's `ts`: UTC, to the millisecond, as JavaScript's `toISOString` writes it.
struct LogTimestampTests {
    @Test(arguments: [
        (0.0, "1970-01-01T00:00:00.000Z"),
        (951_782_400.5, "2000-02-29T00:00:00.500Z"),
        (1_795_000_000.25, "2026-11-18T11:06:40.250Z"),
        (4_102_444_799.875, "2099-12-31T23:59:59.875Z"),
    ])
    func writesUTCToTheMillisecond(since1970: Double, expected: String) {
        #expect(LogLine.timestamp(Date(timeIntervalSince1970: since1970)) == expected)
    }
}
