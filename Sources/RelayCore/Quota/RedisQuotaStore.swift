import RelayRedis

/// Keeps quota and budget counters in Redis (SPEC §10, with `redis_url`), shared by every
/// replica and timed by Redis's clock: a reservation is one atomic script that finds the
/// current windows, checks every limited meter and counts all or nothing
/// (`RedisQuotaScripts`), so any number of replicas never admit more than a limit.
///
/// One integer key a counter, `relay:quota:{<key name>}:<meter>:<window id>`, named by the API
/// key's `name` (never its secret) and expiring a day after its window ends.
///
/// ```swift
/// let store = RedisQuotaStore(client: client)
/// let answer = try await store.reserve(key: "team-a", amounts: [.requestsPerDay: 1],
///                                      limits: [.requestsPerDay: 10_000])
/// ```
final class RedisQuotaStore: QuotaStore {
    private let client: RedisClient
    private let keyPrefix: String

    /// - Parameter keyPrefix: put before every Redis key (`relay:quota:{team-a}:...`).
    init(client: RedisClient, keyPrefix: String = "relay:quota:") {
        self.client = client
        self.keyPrefix = keyPrefix
    }

    /// The part of a key's counters' names up to and including its hash tag. A "}" in the name
    /// would end the tag early, so braces are percent-encoded (and "%" too, so that two names
    /// never share counters).
    func counterPrefix(_ name: String) -> String {
        var tagged = keyPrefix + "{"
        for character in name {
            switch character {
            case "%": tagged += "%25"
            case "{": tagged += "%7B"
            case "}": tagged += "%7D"
            default: tagged.append(character)
            }
        }
        return tagged + "}"
    }

    /// The Redis key of one counter: `relay:quota:{team-a}:tokens_per_day:20794`.
    func counterKey(_ name: String, _ meter: QuotaMeter, _ windows: QuotaWindows) -> String {
        counterPrefix(name) + ":" + meter.rawValue + ":" + String(windows.id(of: meter.period))
    }

    func reserve(key: String, amounts: [QuotaMeter: Int64], limits: [QuotaMeter: Int64])
        async throws(QuotaStoreError) -> QuotaReservation
    {
        var arguments: [String] = []
        for meter in QuotaMeter.allCases where amounts[meter] != nil || limits[meter] != nil {
            // A negative limit would read as "none" in the script: it admits nothing instead.
            let limit = limits[meter].map { String(max(0, $0)) } ?? "-1"
            arguments += [meter.rawValue, meter.period.rawValue, String(amounts[meter] ?? 0), limit]
        }
        let reply = try await run(RedisQuotaScripts.reserve, keys: [counterPrefix(key)], arguments: arguments)
        guard let values = reply.array, let admitted = values.first?.integer else {
            throw QuotaStoreError(reason: "unexpected reply from Redis to the quota reserve script")
        }
        if admitted == 1, values.count == 3, let day = values[1].integer, let month = values[2].integer {
            return .admitted(QuotaWindows(day: day, month: month))
        }
        if admitted == 0, values.count == 4, let meter = values[1].string.flatMap(QuotaMeter.init(rawValue:)),
            let resetAt = values[2].integer, let now = values[3].integer
        {
            return .exceeded(meter, resetAt: resetAt, now: now)
        }
        throw QuotaStoreError(reason: "unexpected reply from Redis to the quota reserve script")
    }

    func adjust(key: String, deltas: [QuotaMeter: Int64], windows: QuotaWindows) async throws(QuotaStoreError) {
        var arguments: [String] = []
        for meter in QuotaMeter.allCases {
            guard let delta = deltas[meter], delta != 0 else { continue }
            let expireAt = windows.resetAt(meter.period) + 86_400
            arguments += [meter.rawValue, String(delta), String(windows.id(of: meter.period)), String(expireAt)]
        }
        guard !arguments.isEmpty else { return }
        _ = try await run(RedisQuotaScripts.adjust, keys: [counterPrefix(key)], arguments: arguments)
    }

    func usage(keys: [String]) async throws(QuotaStoreError) -> (
        windows: QuotaWindows, used: [String: [QuotaMeter: Int64]]
    ) {
        let meters = QuotaMeter.allCases
        let reply = try await run(
            RedisQuotaScripts.usage,
            keys: keys.map(counterPrefix),
            arguments: meters.flatMap { [$0.rawValue, $0.period.rawValue] }
        )
        guard let values = reply.array, values.count == 3 + keys.count * meters.count,
            let day = values[1].integer, let month = values[2].integer
        else {
            throw QuotaStoreError(reason: "unexpected reply from Redis to the quota usage script")
        }
        var used: [String: [QuotaMeter: Int64]] = [:]
        for (keyIndex, key) in keys.enumerated() {
            var counted: [QuotaMeter: Int64] = [:]
            for (meterIndex, meter) in meters.enumerated() {
                let value = values[3 + keyIndex * meters.count + meterIndex]
                guard value != .null else { continue }
                guard let number = value.integer else {
                    throw QuotaStoreError(reason: "a quota counter in Redis is not a number Relay wrote")
                }
                counted[meter] = number
            }
            used[key] = counted
        }
        return (QuotaWindows(day: day, month: month), used)
    }

    /// Every counter is written to Redis as it changes: nothing is pending.
    func flush() async {}

    private func run(_ script: RedisScript, keys: [String], arguments: [String]) async throws(QuotaStoreError)
        -> RESPValue
    {
        do {
            return try await client.run(script, keys: keys, arguments: arguments)
        } catch {
            throw QuotaStoreError(reason: error.reasonWithoutAddress)
        }
    }
}
