import FoundationEssentials
import SQLiteNIO

/// One counter of the file store: a key's meter in one window (a day or a month id, by the
/// meter's period).
struct QuotaCounterID: Sendable, Hashable {
    let key: String
    let meter: QuotaMeter
    let window: Int64
}

/// The state file at `state_path` (SPEC §10): an SQLite database in WAL mode that holds the
/// counters of quotas and budgets when there is no Redis.
///
/// Two tables: `counters(key, meter, window, amount)`, one row per counter with its absolute
/// value, and `meta(name, value)` with the schema's version; the database's `application_id`
/// marks it as Relay's. Opening refuses, with a message naming the path, a location that cannot
/// be created or written and a file that is not such a database (not SQLite, damaged, another
/// program's, or a newer schema), so that startup stops rather than count from zero.
///
/// Every call goes to SQLite on NIO's thread pool; the one writer (`FileQuotaStore`'s) calls
/// `write` one at a time.
///
/// ```swift
/// let (file, rows) = try await QuotaStateFile.open(path: "relay-state.db", windows: QuotaWindows(unixSeconds: now))
/// try await file.write([(QuotaCounterID(key: "team-a", meter: .requestsPerDay, window: 20_000), 12)])
/// await file.close()
/// ```
struct QuotaStateFile: Sendable {
    /// The version of the tables this Relay reads and writes.
    static let schemaVersion: Int64 = 1
    /// "Rely", in the database header, so that another program's SQLite file is told apart.
    static let applicationID: Int64 = 0x5265_6C79

    let path: String
    private let connection: SQLiteConnection

    /// Opens (or creates) the state file and reads its counters.
    ///
    /// Rows of windows before `windows` are deleted first: a day or month that has ended can
    /// never count against a quota again, so they would only grow the file.
    static func open(
        path: String,
        windows: QuotaWindows
    ) async throws(QuotaStoreError) -> (file: QuotaStateFile, counters: [(QuotaCounterID, Int64)]) {
        let connection: SQLiteConnection
        do {
            connection = try await SQLiteConnection.open(storage: .file(path: path))
        } catch {
            throw QuotaStoreError(reason: "state file \(path): cannot be opened or created (\(whyNotOpened(path)))")
        }
        let file = QuotaStateFile(path: path, connection: connection)
        do {
            try await file.prepare()
            try await file.deleteCounters(before: windows)
            return (file, try await file.readCounters())
        } catch {
            await file.close()
            throw error
        }
    }

    /// Stores the absolute values of `counters`, in one transaction.
    func write(_ counters: [(QuotaCounterID, Int64)]) async throws(QuotaStoreError) {
        guard !counters.isEmpty else { return }
        do {
            try await execute("BEGIN IMMEDIATE")
            do {
                // Several rows per statement: each statement is a trip to the thread pool.
                var start = counters.startIndex
                while start < counters.endIndex {
                    let end = min(start + Self.rowsPerStatement, counters.endIndex)
                    let batch = counters[start..<end]
                    var binds: [SQLiteData] = []
                    binds.reserveCapacity(batch.count * 4)
                    for (id, amount) in batch {
                        binds += [
                            .text(id.key), .text(id.meter.rawValue), .integer(Int(id.window)), .integer(Int(amount)),
                        ]
                    }
                    let rows = Array(repeating: "(?, ?, ?, ?)", count: batch.count).joined(separator: ", ")
                    try await execute(
                        "INSERT INTO counters (key, meter, window, amount) VALUES \(rows) "
                            + "ON CONFLICT (key, meter, window) DO UPDATE SET amount = excluded.amount",
                        binds
                    )
                    start = end
                }
                try await execute("COMMIT")
            } catch {
                try? await execute("ROLLBACK")
                throw error
            }
        } catch {
            throw QuotaStoreError(reason: "state file \(path): cannot be written (\(Self.describe(error)))")
        }
    }

    /// Closes the database; nothing may be called after.
    func close() async {
        try? await connection.close()
    }

    private static let rowsPerStatement = 500

    /// Checks that the file is Relay's state database (or new and empty, then creates the
    /// tables), and sets WAL mode.
    private func prepare() async throws(QuotaStoreError) {
        let tables: Set<String>
        let applicationID: Int64
        do {
            tables = Set(
                try await connection.query("SELECT name FROM sqlite_master WHERE type = 'table'")
                    .compactMap { $0.column("name")?.string })
            applicationID =
                try await connection.query("PRAGMA application_id").first?.column("application_id")?
                .integer.map(Int64.init) ?? 0
        } catch {
            throw failure(error, cannotBe: "read")
        }
        if tables.isEmpty && applicationID == 0 {
            try await setJournal()
            do {
                try await execute("BEGIN IMMEDIATE")
                try await execute(
                    "CREATE TABLE counters (key TEXT NOT NULL, meter TEXT NOT NULL, window INTEGER NOT NULL, "
                        + "amount INTEGER NOT NULL, PRIMARY KEY (key, meter, window)) WITHOUT ROWID")
                try await execute("CREATE TABLE meta (name TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL)")
                try await execute(
                    "INSERT INTO meta (name, value) VALUES ('schema_version', ?)", [.integer(Int(Self.schemaVersion))])
                try await execute("PRAGMA application_id = \(Self.applicationID)")
                try await execute("COMMIT")
            } catch {
                try? await execute("ROLLBACK")
                throw failure(error, cannotBe: "written")
            }
            return
        }
        guard applicationID == Self.applicationID, tables.isSuperset(of: ["counters", "meta"]) else {
            let names = tables.isEmpty ? "none" : tables.sorted().joined(separator: ", ")
            throw QuotaStoreError(
                reason: "state file \(path): is an SQLite database but not a Relay state file (tables: \(names)); "
                    + "move it away or set state_path to another file"
            )
        }
        let version: Int64?
        let check: String?
        do {
            version = try await connection.query("SELECT value FROM meta WHERE name = 'schema_version'").first?
                .column("value")?.integer.map(Int64.init)
            check = try await connection.query("PRAGMA quick_check(1)").first?.columns.first?.data.string
        } catch {
            throw failure(error, cannotBe: "read")
        }
        guard let version else {
            throw QuotaStoreError(reason: "state file \(path): is damaged (no schema version in its meta table)")
        }
        guard version <= Self.schemaVersion else {
            throw QuotaStoreError(
                reason: "state file \(path): was written by a newer Relay (schema \(version); this one reads "
                    + "up to \(Self.schemaVersion))")
        }
        guard check == "ok" else {
            throw QuotaStoreError(reason: "state file \(path): is damaged (\(check ?? "integrity check failed"))")
        }
        try await setJournal()
    }

    /// WAL: the writer appends without blocking readers such as `sqlite3 .backup`. FULL syncs the
    /// log at each commit, at most once a second and off the request path, so that a power cut
    /// loses no more than what a crash of Relay would: the last second.
    private func setJournal() async throws(QuotaStoreError) {
        let mode: String?
        do {
            mode = try await connection.query("PRAGMA journal_mode = WAL").first?.columns.first?.data.string
            try await execute("PRAGMA synchronous = FULL")
        } catch {
            throw failure(error, cannotBe: "written")
        }
        guard mode?.lowercased() == "wal" else {
            throw QuotaStoreError(
                reason:
                    "state file \(path): cannot be written (SQLite kept the journal mode \(mode ?? "unknown"), not WAL)"
            )
        }
    }

    private func deleteCounters(before windows: QuotaWindows) async throws(QuotaStoreError) {
        let dayMeters = QuotaMeter.allCases.filter { $0.period == .day }.map { "'\($0.rawValue)'" }
        let monthMeters = QuotaMeter.allCases.filter { $0.period == .month }.map { "'\($0.rawValue)'" }
        do {
            try await execute(
                "DELETE FROM counters WHERE (meter IN (\(dayMeters.joined(separator: ", "))) AND window < ?) "
                    + "OR (meter IN (\(monthMeters.joined(separator: ", "))) AND window < ?)",
                [.integer(Int(windows.day)), .integer(Int(windows.month))]
            )
        } catch {
            throw failure(error, cannotBe: "written")
        }
    }

    /// The counters stored; rows of meters this Relay does not know are left alone.
    private func readCounters() async throws(QuotaStoreError) -> [(QuotaCounterID, Int64)] {
        let rows: [SQLiteRow]
        do {
            rows = try await connection.query("SELECT key, meter, window, amount FROM counters")
        } catch {
            throw failure(error, cannotBe: "read")
        }
        return rows.compactMap { row in
            guard let key = row.column("key")?.string,
                let meter = row.column("meter")?.string.flatMap(QuotaMeter.init(rawValue:)),
                let window = row.column("window")?.integer,
                let amount = row.column("amount")?.integer
            else { return nil }
            return (QuotaCounterID(key: key, meter: meter, window: Int64(window)), Int64(amount))
        }
    }

    private func execute(_ sql: String, _ binds: [SQLiteData] = []) async throws {
        try await connection.query(sql, binds) { _ in }
    }

    /// The error of a failed read or write at open, saying what is wrong with the file.
    private func failure(_ error: any Error, cannotBe operation: String) -> QuotaStoreError {
        let what: String
        switch (error as? SQLiteError)?.reason {
        case .notADatabase:
            what = "is not an SQLite database"
        case .corrupt, .corruptIndex, .corruptSequenceSchema, .corruptVirtualTable:
            what = "is damaged"
        case .readOnly, .readonlyCantLock, .readonlyDirectory, .readonlyInRecovery, .readonlyInRollback,
            .readonlyBackingMoved, .permission, .cantOpen, .cantOpenDirectory:
            what = "cannot be written"
        default:
            what = "cannot be \(operation)"
        }
        return QuotaStoreError(reason: "state file \(path): \(what) (\(Self.describe(error)))")
    }

    /// Why SQLite could not open `path`, which its error does not say.
    private static func whyNotOpened(_ path: String) -> String {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isFolder = false
        if !FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) {
            return "the folder \(folder) does not exist"
        }
        if !isFolder { return "\(folder) is not a folder" }
        if !FileManager.default.isWritableFile(atPath: folder) { return "the folder \(folder) is not writable" }
        return "SQLite cannot open it: it must be a file that Relay may read and write"
    }

    private static func describe(_ error: any Error) -> String {
        (error as? SQLiteError)?.message ?? "\(error)"
    }
}
