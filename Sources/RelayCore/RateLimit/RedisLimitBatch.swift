import NIOCore
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

/// A batch's arguments for `RedisRateLimitScripts.batch`, written as RESP as they are made:
/// the distinct keys it uses, each named once, and its operations in order, pointing at them.
///
/// ```swift
/// let batch = RedisLimitBatch([operation], slotLeaseMilliseconds: 900_000)
/// let reply = try await client.run(RedisRateLimitScripts.batch, keys: batch.keys, arguments: batch.arguments).get()
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

    private(set) var keys = RESPArguments(capacity: 256)
    private(set) var arguments: RESPArguments
    private var keyNumbers: [String: Int] = [:]

    init(_ operations: some Collection<RedisLimitOperation>, slotLeaseMilliseconds: Int64) {
        arguments = RESPArguments(capacity: 32 + operations.count * 64)
        arguments.append(slotLeaseMilliseconds)
        for operation in operations {
            switch operation {
            case .reserve(let keys, let tokenKey, let rpm, let tpm, let maxParallel, let cost, let slotID):
                arguments.append("r")
                arguments.append(number(of: rpm.map { _ in keys.requests }))
                arguments.append(number(of: tpm.map { _ in tokenKey }))
                arguments.append(number(of: maxParallel.map { _ in keys.slots }))
                arguments.append(rpm ?? -1)
                arguments.append(tpm ?? -1)
                arguments.append(maxParallel ?? -1)
                arguments.append(cost)
                arguments.append(slotID ?? "")
            case .settle(let tokenKey, let slotsKey, let second, let tokenCorrection, let slotID):
                arguments.append("s")
                arguments.append(number(of: tokenCorrection != 0 ? tokenKey : nil))
                arguments.append(number(of: slotID != nil ? slotsKey : nil))
                arguments.append(second)
                arguments.append(tokenCorrection)
                arguments.append(slotID ?? "")
            }
        }
    }

    /// The key's 1-based place in `keys`, adding it on first use; 0 for a key not used.
    private mutating func number(of key: String?) -> Int {
        guard let key else { return 0 }
        if let known = keyNumbers[key] { return known }
        keys.append(key)
        keyNumbers[key] = keys.count
        return keys.count
    }

    /// Each operation's outcome, in order, read from the reply's bytes in place; `nil` when the
    /// reply is not one answer per operation in the script's shape.
    static func outcomes(
        of reply: ByteBuffer,
        for operations: some Collection<RedisLimitOperation>
    ) -> [Outcome]? {
        var reader = RESPReader(reply)
        guard reader.readArrayCount() == operations.count else { return nil }
        var outcomes: [Outcome] = []
        outcomes.reserveCapacity(operations.count)
        for operation in operations {
            switch operation {
            case .reserve:
                guard let reserved = ReserveAnswer(&reader) else { return nil }
                outcomes.append(.reserved(reserved))
            case .settle:
                guard reader.readInteger() != nil else { return nil }
                outcomes.append(.settled)
            }
        }
        return reader.isAtEnd ? outcomes : nil
    }
}
