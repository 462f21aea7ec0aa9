import Foundation
import NIOConcurrencyHelpers
import SQLiteNIO
import Testing

@testable import RelayCore

/// A wall clock in Unix seconds that tests set by hand.
final class QuotaTestClock: Sendable {
    private let seconds: NIOLockedValueBox<Int64>

    init(_ iso: String) throws {
        seconds = NIOLockedValueBox(try QuotaWindowsTests.unix(iso))
    }

    var now: @Sendable () -> Int64 { { self.seconds.withLockedValue { $0 } } }

    func set(_ iso: String) throws {
        let value = try QuotaWindowsTests.unix(iso)
        seconds.withLockedValue { $0 = value }
    }

    func advance(by delta: Int64) {
        seconds.withLockedValue { $0 += delta }
    }
}

/// A folder of its own for one test's state files, removed at the end.
final class QuotaTestFolder: Sendable {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("relay-quota-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String = "relay-state.db") -> String { path + "/" + name }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Opens a store, runs `body` with it, and closes it whatever `body` does.
func withFileQuotaStore<T>(
    path: String,
    clock: QuotaTestClock,
    writeInterval: Duration = .seconds(1),
    _ body: (FileQuotaStore) async throws -> T
) async throws -> T {
    let store = try await FileQuotaStore.open(path: path, writeInterval: writeInterval, now: clock.now)
    do {
        let result = try await body(store)
        await store.close()
        return result
    } catch {
        await store.close()
        throw error
    }
}

@Suite struct FileQuotaStoreTests {
    let folder: QuotaTestFolder
    let clock: QuotaTestClock

    init() throws {
        folder = try QuotaTestFolder()
        clock = try QuotaTestClock("2024-03-10T12:00:00Z")
    }

    @Test func aReservationWithOneMeterOverItsLimitAddsNothing() async throws {
        try await withFileQuotaStore(path: folder.file(), clock: clock) { store in
            let limits: [QuotaMeter: Int64] = [.requestsPerDay: 10, .tokensPerDay: 1000]
            let first = try await store.reserve(
                key: "team-a", amounts: [.requestsPerDay: 1, .tokensPerDay: 900, .usdPerMonth: 5000], limits: limits)
            #expect(first == .admitted(QuotaWindows(unixSeconds: clock.now())))
            // Requests still fit, tokens do not: nothing of it is counted.
            let second = try await store.reserve(
                key: "team-a", amounts: [.requestsPerDay: 1, .tokensPerDay: 200, .usdPerMonth: 5000], limits: limits)
            guard case .exceeded(let meter, _, _) = second else {
                Issue.record("a reservation over the token limit was admitted: \(second)")
                return
            }
            #expect(meter == .tokensPerDay)
            let usage = try await store.usage(keys: ["team-a", "team-b"])
            #expect(usage.used == ["team-a": [.requestsPerDay: 1, .tokensPerDay: 900, .usdPerMonth: 5000]])
        }
    }

    @Test func aLimitReachedExactlyAdmitsAndOneMoreWaitsForTheWindowsEnd() async throws {
        try await withFileQuotaStore(path: folder.file(), clock: clock) { store in
            for _ in 0..<3 {
                let answer = try await store.reserve(
                    key: "team-a", amounts: [.tokensPerDay: 100, .tokensPerMonth: 100],
                    limits: [.tokensPerDay: 300, .tokensPerMonth: 1000])
                #expect(answer == .admitted(QuotaWindows(unixSeconds: clock.now())))
            }
            let overDay = try await store.reserve(
                key: "team-a", amounts: [.tokensPerDay: 1], limits: [.tokensPerDay: 300])
            #expect(
                overDay
                    == .exceeded(
                        .tokensPerDay, resetAt: try QuotaWindowsTests.unix("2024-03-11T00:00:00Z"), now: clock.now()))
            // A request that asks for nothing more still fits a limit reached exactly.
            let nothingMore = try await store.reserve(
                key: "team-a", amounts: [.requestsPerDay: 1], limits: [.tokensPerDay: 300])
            #expect(nothingMore == .admitted(QuotaWindows(unixSeconds: clock.now())))
            let overMonth = try await store.reserve(
                key: "team-a", amounts: [.tokensPerMonth: 701], limits: [.tokensPerMonth: 1000])
            #expect(
                overMonth
                    == .exceeded(
                        .tokensPerMonth, resetAt: try QuotaWindowsTests.unix("2024-04-01T00:00:00Z"), now: clock.now()))
            #expect(try await store.usage(keys: ["team-a"]).used["team-a"]?[.tokensPerDay] == 300)
            #expect(try await store.usage(keys: ["team-a"]).used["team-a"]?[.tokensPerMonth] == 300)
        }
    }

    /// Retrying before the later window ends would be refused again.
    @Test func ofTwoMetersOverTheirLimitsTheOneResettingLaterIsReported() async throws {
        try await withFileQuotaStore(path: folder.file(), clock: clock) { store in
            let limits: [QuotaMeter: Int64] = [.requestsPerDay: 1, .tokensPerMonth: 100]
            _ = try await store.reserve(
                key: "team-a", amounts: [.requestsPerDay: 1, .tokensPerMonth: 100], limits: limits)
            let answer = try await store.reserve(
                key: "team-a", amounts: [.requestsPerDay: 1, .tokensPerMonth: 1], limits: limits)
            #expect(
                answer
                    == .exceeded(
                        .tokensPerMonth, resetAt: try QuotaWindowsTests.unix("2024-04-01T00:00:00Z"), now: clock.now()))
        }
    }

    @Test func adjustAddsAndGivesBackButNeverBelowZero() async throws {
        try await withFileQuotaStore(path: folder.file(), clock: clock) { store in
            let answer = try await store.reserve(key: "team-a", amounts: [.tokensPerDay: 900], limits: [:])
            guard case .admitted(let windows) = answer else {
                Issue.record("a reservation without limits was refused: \(answer)")
                return
            }
            try await store.adjust(key: "team-a", deltas: [.tokensPerDay: 100, .usdPerMonth: 42], windows: windows)
            #expect(try await store.usage(keys: ["team-a"]).used["team-a"] == [.tokensPerDay: 1000, .usdPerMonth: 42])
            try await store.adjust(key: "team-a", deltas: [.tokensPerDay: -300], windows: windows)
            #expect(try await store.usage(keys: ["team-a"]).used["team-a"]?[.tokensPerDay] == 700)
            try await store.adjust(key: "team-a", deltas: [.tokensPerDay: -5000, .usdPerMonth: -50], windows: windows)
            #expect(try await store.usage(keys: ["team-a"]).used["team-a"] == [.tokensPerDay: 0, .usdPerMonth: 0])
            // Counted again from zero, not from -4300.
            try await store.adjust(key: "team-a", deltas: [.tokensPerDay: 10], windows: windows)
            #expect(try await store.usage(keys: ["team-a"]).used["team-a"]?[.tokensPerDay] == 10)
        }
    }

    /// A call reserved before midnight and settled after it is settled in the day it was counted in.
    @Test func adjustSettlesInTheWindowsOfTheReservation() async throws {
        try clock.set("2024-03-10T23:59:59Z")
        // No background write during the test: it drops the windows that ended from memory.
        try await withFileQuotaStore(path: folder.file(), clock: clock, writeInterval: .seconds(3600)) { store in
            let answer = try await store.reserve(key: "team-a", amounts: [.tokensPerDay: 500], limits: [:])
            guard case .admitted(let windows) = answer else {
                Issue.record("a reservation without limits was refused: \(answer)")
                return
            }
            clock.advance(by: 1)
            try await store.adjust(key: "team-a", deltas: [.tokensPerDay: 300], windows: windows)
            #expect(try await store.usage(keys: ["team-a"]).used["team-a"] == nil)
            clock.advance(by: -1)
            #expect(try await store.usage(keys: ["team-a"]).used["team-a"]?[.tokensPerDay] == 800)
        }
    }

    /// Once the writer has dropped an ended day from memory, a late settle for it changes nothing:
    /// the stored total stays as it was rather than being replaced by the settle alone.
    @Test func aSettleAfterItsDayWasDroppedLeavesTheStoredTotal() async throws {
        let path = folder.file()
        try clock.set("2024-03-10T23:59:59Z")
        try await withFileQuotaStore(path: path, clock: clock, writeInterval: .milliseconds(50)) { store in
            let answer = try await store.reserve(key: "team-a", amounts: [.tokensPerDay: 500], limits: [:])
            guard case .admitted(let windows) = answer else {
                Issue.record("a reservation without limits was refused: \(answer)")
                return
            }
            clock.advance(by: 1)
            // The writer writes, then drops the ended day (within 50 ms, or longer on a busy machine).
            for _ in 0..<400 where !store.holdsOnlyCurrentWindows { try await Task.sleep(for: .milliseconds(25)) }
            #expect(store.holdsOnlyCurrentWindows)
            try await store.adjust(key: "team-a", deltas: [.tokensPerDay: 300], windows: windows)
        }
        // Read back on that day, when the file still has it.
        try clock.set("2024-03-10T23:59:59Z")
        let stored = try await withFileQuotaStore(path: path, clock: clock) { try await $0.usage(keys: ["team-a"]) }
        #expect(stored.used["team-a"] == [.tokensPerDay: 500])
    }

    @Test func aNewDayResetsTheDailyMetersButNotTheMonthly() async throws {
        try clock.set("2024-03-30T23:59:59Z")
        try await withFileQuotaStore(path: folder.file(), clock: clock) { store async throws in
            let amounts: [QuotaMeter: Int64] = [.requestsPerDay: 1, .tokensPerDay: 500, .tokensPerMonth: 500]
            let limits: [QuotaMeter: Int64] = [.requestsPerDay: 1, .tokensPerDay: 500, .tokensPerMonth: 2000]
            #expect(try await store.reserve(key: "team-a", amounts: amounts, limits: limits).isAdmitted)
            #expect(try await store.reserve(key: "team-a", amounts: amounts, limits: limits).isAdmitted == false)
            clock.advance(by: 1)  // 2024-03-31
            #expect(try await store.reserve(key: "team-a", amounts: amounts, limits: limits).isAdmitted)
            #expect(
                try await store.usage(keys: ["team-a"]).used["team-a"]
                    == [.requestsPerDay: 1, .tokensPerDay: 500, .tokensPerMonth: 1000])
            clock.advance(by: 86_400)  // 2024-04-01: a new month as well
            #expect(try await store.usage(keys: ["team-a"]).used["team-a"] == nil)
            #expect(try await store.reserve(key: "team-a", amounts: amounts, limits: limits).isAdmitted)
            #expect(
                try await store.usage(keys: ["team-a"]).used["team-a"]
                    == [.requestsPerDay: 1, .tokensPerDay: 500, .tokensPerMonth: 500])
        }
    }

    @Test func keysCountApart() async throws {
        try await withFileQuotaStore(path: folder.file(), clock: clock) { store async throws in
            let limits: [QuotaMeter: Int64] = [.requestsPerDay: 1]
            #expect(try await store.reserve(key: "team-a", amounts: [.requestsPerDay: 1], limits: limits).isAdmitted)
            #expect(try await store.reserve(key: "team-b", amounts: [.requestsPerDay: 1], limits: limits).isAdmitted)
            #expect(
                try await store.reserve(key: "team-a", amounts: [.requestsPerDay: 1], limits: limits).isAdmitted
                    == false)
        }
    }

    @Test func thirtyConcurrentReservationsAgainstALimitOfNineAdmitNine() async throws {
        try await withFileQuotaStore(path: folder.file(), clock: clock) { store in
            let admitted = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<30 {
                    group.addTask {
                        try await store.reserve(
                            key: "team-a", amounts: [.requestsPerDay: 1, .tokensPerDay: 10],
                            limits: [.requestsPerDay: 9]
                        ).isAdmitted
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(admitted == 9)
            #expect(try await store.usage(keys: ["team-a"]).used["team-a"] == [.requestsPerDay: 9, .tokensPerDay: 90])
        }
    }

    @Test func reopeningTheFileKeepsTheCountsAfterFlush() async throws {
        let path = folder.file()
        let first = try await FileQuotaStore.open(path: path, now: clock.now)
        _ = try await first.reserve(key: "team-a", amounts: [.requestsPerDay: 3, .usdPerMonth: 1_250_000], limits: [:])
        await first.flush()
        // Read from the disk by a second store while the first is still open.
        let seen = try await withFileQuotaStore(path: path, clock: clock) { try await $0.usage(keys: ["team-a"]) }
        #expect(seen.used["team-a"] == [.requestsPerDay: 3, .usdPerMonth: 1_250_000])
        await first.close()

        let reopened = try await withFileQuotaStore(path: path, clock: clock) { store in
            // Counting goes on from the stored values.
            let answer = try await store.reserve(
                key: "team-a", amounts: [.requestsPerDay: 1], limits: [.requestsPerDay: 4])
            #expect(answer.isAdmitted)
            return try await store.usage(keys: ["team-a"])
        }
        #expect(reopened.used["team-a"] == [.requestsPerDay: 4, .usdPerMonth: 1_250_000])
    }

    @Test func theBackgroundWriterStoresChangesWithoutFlush() async throws {
        let path = folder.file()
        let store = try await FileQuotaStore.open(path: path, now: clock.now)
        _ = try await store.reserve(key: "team-a", amounts: [.tokensPerMonth: 77], limits: [:])
        try await Task.sleep(for: .milliseconds(1200))
        // A slow machine may take a little longer than the writer's second.
        var seen: [QuotaMeter: Int64]?
        for _ in 0..<40 where seen == nil {
            seen = try await withFileQuotaStore(path: path, clock: clock) { try await $0.usage(keys: ["team-a"]) }
                .used["team-a"]
            if seen == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(seen == [.tokensPerMonth: 77])
        await store.close()
    }

    /// Ended windows can never count again: opening on a later day drops their rows from the file.
    @Test func reopeningOnALaterDayDropsTheEndedWindows() async throws {
        let path = folder.file()
        try clock.set("2024-03-10T12:00:00Z")
        let day = QuotaWindows(unixSeconds: clock.now()).day
        try await withFileQuotaStore(path: path, clock: clock) { store in
            _ = try await store.reserve(key: "team-a", amounts: [.requestsPerDay: 5, .tokensPerMonth: 50], limits: [:])
        }
        #expect(try await storedWindows(path, meter: .requestsPerDay) == [day])
        try clock.set("2024-03-11T00:00:00Z")
        let used = try await withFileQuotaStore(path: path, clock: clock) { try await $0.usage(keys: ["team-a"]) }
        #expect(used.used["team-a"] == [.tokensPerMonth: 50])
        #expect(try await storedWindows(path, meter: .requestsPerDay) == [])
        #expect(try await storedWindows(path, meter: .tokensPerMonth) == [used.windows.month])
    }

    /// The windows stored for `meter`, read from the file with SQLite directly.
    func storedWindows(_ path: String, meter: QuotaMeter) async throws -> [Int64] {
        let connection = try await SQLiteConnection.open(storage: .file(path: path))
        let rows: [SQLiteRow]
        do {
            rows = try await connection.query(
                "SELECT window FROM counters WHERE meter = ? ORDER BY window", [.text(meter.rawValue)])
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
        return rows.compactMap { $0.column("window")?.integer.map(Int64.init) }
    }
}

extension QuotaReservation {
    var isAdmitted: Bool {
        if case .admitted = self { return true }
        return false
    }
}
