import FoundationEssentials
import Logging
import NIOConcurrencyHelpers

/// The quota store without Redis (SPEC §10): the counters live in this process and are kept in
/// the state file at `state_path`, so that they survive restarts.
///
/// A reservation is decided in memory, under a lock held for a few dictionary look-ups and never
/// across an `await`: it never waits on the disk. Each counter changed is marked dirty; a
/// background writer stores the dirty counters' absolute values once a second, in one
/// transaction, and `flush()` (at shutdown) stores what is left. A crash loses at most the last
/// second's changes. Opening refuses a file that cannot be used, with a message naming it,
/// rather than start counting from zero.
///
/// ```swift
/// let store = try await FileQuotaStore.open(path: "relay-state.db")
/// let answer = try await store.reserve(key: "team-a", amounts: [.requestsPerDay: 1], limits: [.requestsPerDay: 1_000])
/// // ... at shutdown
/// await store.close()
/// ```
final class FileQuotaStore: QuotaStore {
    /// Where the counters are kept.
    var path: String { file.path }

    private let file: QuotaStateFile
    private let now: @Sendable () -> Int64
    private let logger: Logger
    private let state: NIOLockedValueBox<State>

    private struct State {
        var counters: [QuotaCounterID: Int64] = [:]
        /// Counters changed since they were last written.
        var dirty: Set<QuotaCounterID> = []
        /// The last write started, which the next one waits for: writes go one at a time, each
        /// taking the values current when it starts.
        var lastWrite: Task<Void, Never>?
        var writer: Task<Void, Never>?
        /// The windows when counters of ended windows were last dropped.
        var prunedAt: QuotaWindows?
        /// Whether that drop kept a counter of an ended window because it was not written yet.
        var keepsEndedCounters = false

        /// Adds `amount` to a counter, which never goes under zero (as when a refund is larger
        /// than what was counted) nor over `Int64.max`.
        mutating func add(_ amount: Int64, to id: QuotaCounterID) {
            let old = counters[id] ?? 0
            let (sum, overflow) = old.addingReportingOverflow(amount)
            let new = overflow ? (amount > 0 ? .max : 0) : max(0, sum)
            guard new != old else { return }
            counters[id] = new
            dirty.insert(id)
        }

        /// Drops the counters of windows before `windows` once they are written: they can never
        /// count again. One not written yet stays, and `keepsEndedCounters` says so, for a later
        /// pass to drop it once written.
        mutating func dropEndedWindows(before windows: QuotaWindows) {
            var keptUnwritten = false
            counters = counters.filter { id, _ in
                guard id.window < windows.id(of: id.meter.period) else { return true }
                let unwritten = dirty.contains(id)
                if unwritten { keptUnwritten = true }
                return unwritten
            }
            prunedAt = windows
            keepsEndedCounters = keptUnwritten
        }
    }

    private init(
        file: QuotaStateFile, counters: [(QuotaCounterID, Int64)], now: @escaping @Sendable () -> Int64, logger: Logger
    ) {
        self.file = file
        self.now = now
        self.logger = logger
        var state = State()
        for (id, amount) in counters { state.counters[id] = amount }
        self.state = NIOLockedValueBox(state)
    }

    /// Opens the state file at `path` (creating it if absent), reads the counters of the current
    /// windows, and starts the background writer.
    ///
    /// - Parameters:
    ///   - path: `state_path`.
    ///   - writeInterval: how long changed counters wait before they are written.
    ///   - now: the time in Unix seconds; tests pass a clock they move by hand.
    /// - Throws: `QuotaStoreError` naming `path` and what is wrong with it: it cannot be created
    ///   or written, or it is not Relay's state file (not SQLite, damaged, another program's).
    static func open(
        path: String,
        writeInterval: Duration = .seconds(1),
        now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970.rounded(.down)) },
        logger: Logger = Logger(label: "relay.quota")
    ) async throws(QuotaStoreError) -> FileQuotaStore {
        let (file, counters) = try await QuotaStateFile.open(path: path, windows: QuotaWindows(unixSeconds: now()))
        let store = FileQuotaStore(file: file, counters: counters, now: now, logger: logger)
        store.startWriter(interval: writeInterval)
        return store
    }

    func reserve(
        key: String,
        amounts: [QuotaMeter: Int64],
        limits: [QuotaMeter: Int64]
    ) async throws(QuotaStoreError) -> QuotaReservation {
        let now = self.now()
        let windows = QuotaWindows(unixSeconds: now)
        return state.withLockedValue { state in
            // Of the meters over their limit, the one whose window ends last: nothing is admitted
            // before it resets.
            var exceeded: (meter: QuotaMeter, resetAt: Int64)?
            for (meter, limit) in limits {
                let used =
                    state.counters[QuotaCounterID(key: key, meter: meter, window: windows.id(of: meter.period))] ?? 0
                let (total, overflow) = used.addingReportingOverflow(amounts[meter] ?? 0)
                guard overflow || total > limit else { continue }
                let resetAt = windows.resetAt(meter.period)
                if let current = exceeded,
                    current.resetAt > resetAt || (current.resetAt == resetAt && current.meter.order < meter.order)
                {
                    continue
                }
                exceeded = (meter, resetAt)
            }
            if let exceeded { return .exceeded(exceeded.meter, resetAt: exceeded.resetAt, now: now) }
            for (meter, amount) in amounts {
                state.add(amount, to: QuotaCounterID(key: key, meter: meter, window: windows.id(of: meter.period)))
            }
            return .admitted(windows)
        }
    }

    func adjust(key: String, deltas: [QuotaMeter: Int64], windows: QuotaWindows) async throws(QuotaStoreError) {
        state.withLockedValue { state in
            for (meter, delta) in deltas {
                let window = windows.id(of: meter.period)
                // A window already dropped from memory has ended: it can never count again, and its
                // stored total is not here to add to.
                if let prunedAt = state.prunedAt, window < prunedAt.id(of: meter.period) { continue }
                state.add(delta, to: QuotaCounterID(key: key, meter: meter, window: window))
            }
        }
    }

    func usage(keys: [String]) async throws(QuotaStoreError) -> (
        windows: QuotaWindows, used: [String: [QuotaMeter: Int64]]
    ) {
        let windows = QuotaWindows(unixSeconds: now())
        let used = state.withLockedValue { state in
            var used: [String: [QuotaMeter: Int64]] = [:]
            for key in keys {
                for meter in QuotaMeter.allCases {
                    if let amount = state.counters[
                        QuotaCounterID(key: key, meter: meter, window: windows.id(of: meter.period))]
                    {
                        used[key, default: [:]][meter] = amount
                    }
                }
            }
            return used
        }
        return (windows, used)
    }

    func flush() async {
        await enqueueWrite()?.value
    }

    /// Whether every counter of a window that has ended is out of memory, so a test can wait for
    /// the writer's drop instead of guessing how long it takes.
    var holdsOnlyCurrentWindows: Bool {
        let windows = QuotaWindows(unixSeconds: now())
        return state.withLockedValue { $0.prunedAt == windows && !$0.keepsEndedCounters }
    }

    /// Writes what is pending, stops the background writer and closes the file. Nothing may be
    /// called after.
    func close() async {
        let writer = state.withLockedValue { state in
            defer { state.writer = nil }
            return state.writer
        }
        writer?.cancel()
        await writer?.value
        await flush()
        await file.close()
    }

    private func startWriter(interval: Duration) {
        // Unstructured on purpose: the store owns its writer for as long as it is open, whoever
        // opened it; `close()` ends it.
        let writer = Task { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard !Task.isCancelled else { break }
                await enqueueWrite()?.value
                let windows = QuotaWindows(unixSeconds: now())
                state.withLockedValue { state in
                    if state.prunedAt != windows || state.keepsEndedCounters {
                        state.dropEndedWindows(before: windows)
                    }
                }
            }
        }
        state.withLockedValue { $0.writer = writer }
    }

    /// Starts a write of the dirty counters, after the write before it; when nothing is dirty,
    /// returns the last write (nil if none), which may still be under way.
    private func enqueueWrite() -> Task<Void, Never>? {
        state.withLockedValue { state in
            guard !state.dirty.isEmpty else { return state.lastWrite }
            let previous = state.lastWrite
            let write = Task { [self] in
                await previous?.value
                await writeDirty()
            }
            state.lastWrite = write
            return write
        }
    }

    private func writeDirty() async {
        let pending = state.withLockedValue { state in
            let pending = state.dirty.compactMap { id in state.counters[id].map { (id, $0) } }
            state.dirty.removeAll(keepingCapacity: true)
            return pending
        }
        guard !pending.isEmpty else { return }
        do {
            try await file.write(pending)
        } catch {
            // Kept dirty, to be written by the next write (with the value it failed to write if
            // the counter has left memory since).
            state.withLockedValue { state in
                for (id, amount) in pending {
                    state.dirty.insert(id)
                    if state.counters[id] == nil { state.counters[id] = amount }
                }
            }
            logger.error(
                "quota counters not written", metadata: ["error": "\(error.reason)", "counters": "\(pending.count)"])
        }
    }
}

extension QuotaMeter {
    /// The meters' order in `allCases`, which breaks ties between meters over their limits.
    fileprivate var order: Int { Self.allCases.firstIndex(of: self)! }
}
