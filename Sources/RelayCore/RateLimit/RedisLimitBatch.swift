import RelayRedis

/// One reserve or settle of the Redis limiter, as `RedisRateLimitScripts.batch` runs it.
enum RedisLimitOperation: Sendable {
    /// Charges one request, `cost` tokens and a slot when all fit; a `nil` limit is not checked
    /// and its key not touched.
    case reserve(
        keys: RedisLimitKeys,
        tokenKey: String,
        rpm: Int?,
        tpm: Int?,
        maxParallel: Int?,
        cost: Int,
        slotID: String?
    )
    /// Frees `slotID` and adds `tokenCorrection` (actual - charged) to the tokens charged in
    /// `second` of the window at `tokenKey`.
    case settle(tokenKey: String, slotsKey: String, second: Int64, tokenCorrection: Int, slotID: String?)
}

/// A batch's arguments for `RedisRateLimitScripts.batch`: the distinct keys it uses, each
/// named once, and its operations in order, pointing at them.
///
/// ```swift
/// let batch = RedisLimitBatch([operation], slotLeaseMilliseconds: 900_000)
/// let reply = try await client.run(RedisRateLimitScripts.batch, keys: batch.keys, arguments: batch.arguments)
/// let outcomes = RedisLimitBatch.outcomes(of: reply, for: [operation])
/// ```
struct RedisLimitBatch {
    /// What one operation of a batch came to.
    enum Outcome: Sendable {
        case reserved(ReserveAnswer)
        case settled
        /// Redis did not answer, or answered something the script never sends.
        case failed
    }

    private(set) var keys: [String] = []
    private(set) var arguments: [String]
    private var keyNumbers: [String: Int] = [:]

    init(_ operations: some Collection<RedisLimitOperation>, slotLeaseMilliseconds: Int64) {
        arguments = [String(slotLeaseMilliseconds)]
        arguments.reserveCapacity(1 + operations.count * 9)
        for operation in operations {
            switch operation {
            case .reserve(let keys, let tokenKey, let rpm, let tpm, let maxParallel, let cost, let slotID):
                arguments += [
                    "r",
                    number(of: rpm.map { _ in keys.requests }),
                    number(of: tpm.map { _ in tokenKey }),
                    number(of: maxParallel.map { _ in keys.slots }),
                    String(rpm ?? -1), String(tpm ?? -1), String(maxParallel ?? -1),
                    String(cost), slotID ?? "",
                ]
            case .settle(let tokenKey, let slotsKey, let second, let tokenCorrection, let slotID):
                arguments += [
                    "s",
                    number(of: tokenCorrection != 0 ? tokenKey : nil),
                    number(of: slotID != nil ? slotsKey : nil),
                    String(second), String(tokenCorrection), slotID ?? "",
                ]
            }
        }
    }

    /// The key's 1-based place in `keys`, adding it on first use; "0" for a key not used.
    private mutating func number(of key: String?) -> String {
        guard let key else { return "0" }
        if let known = keyNumbers[key] { return String(known) }
        keys.append(key)
        keyNumbers[key] = keys.count
        return String(keys.count)
    }

    /// Each operation's outcome, in order, or `nil` when the reply is not one answer per
    /// operation in the script's shape.
    static func outcomes(
        of reply: RESPValue,
        for operations: some Collection<RedisLimitOperation>
    ) -> [Outcome]? {
        guard let answers = reply.array, answers.count == operations.count else { return nil }
        var outcomes: [Outcome] = []
        outcomes.reserveCapacity(answers.count)
        for (operation, answer) in zip(operations, answers) {
            switch operation {
            case .reserve:
                guard let reserved = ReserveAnswer(answer) else { return nil }
                outcomes.append(.reserved(reserved))
            case .settle:
                guard answer.integer != nil else { return nil }
                outcomes.append(.settled)
            }
        }
        return outcomes
    }
}
