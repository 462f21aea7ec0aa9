import RelayRedis
import RelayWire

/// The reserve script's reply, read into a decision.
struct ReserveAnswer {
    var admitted: Bool
    var requestWait: Int64
    var requestUsed: Int64
    var requestReset: Int64
    var tokenWait: Int64
    var tokenUsed: Int64
    var tokenReset: Int64
    var inFlight: Int64
    var second: Int64

    /// One answer read in place, consumed: an array of exactly nine integers, in the script's
    /// order; `nil` (nothing consumed) for anything else.
    init?(_ reader: inout RESPReader) {
        var answer = reader
        guard answer.readArrayCount() == 9, let admitted = answer.readInteger(),
            let requestWait = answer.readInteger(), let requestUsed = answer.readInteger(),
            let requestReset = answer.readInteger(), let tokenWait = answer.readInteger(),
            let tokenUsed = answer.readInteger(), let tokenReset = answer.readInteger(),
            let inFlight = answer.readInteger(), let second = answer.readInteger()
        else { return nil }
        reader = answer
        self.admitted = admitted == 1
        (self.requestWait, self.requestUsed, self.requestReset) = (requestWait, requestUsed, requestReset)
        (self.tokenWait, self.tokenUsed, self.tokenReset) = (tokenWait, tokenUsed, tokenReset)
        (self.inFlight, self.second) = (inFlight, second)
    }

    func decision(
        key: String,
        cost: Int,
        limits: Limits,
        slotID: String?,
        pool: Reservation.Pool
    ) -> RateLimitDecision {
        let snapshot = RateLimitSnapshot(
            requests: limits.rpm.map {
                WindowSnapshot(limit: $0, used: Int(requestUsed), resetMilliseconds: requestReset)
            },
            tokens: limits.tpm.map { WindowSnapshot(limit: $0, used: Int(tokenUsed), resetMilliseconds: tokenReset) }
        )
        if admitted {
            return .admitted(
                Reservation(
                    key: key,
                    tokens: cost,
                    pool: pool,
                    snapshot: snapshot,
                    ledger: .redis,
                    windowSecond: second,
                    chargedTokens: limits.tpm != nil ? cost : nil,
                    slotID: slotID
                )
            )
        }
        var checks: [(kind: RateLimitKind, fit: LimitFit)] = []
        if limits.rpm != nil {
            checks.append((.rpm, LimitFit(wait: requestWait < 0 ? nil : requestWait, resetMilliseconds: requestReset)))
        }
        if limits.tpm != nil {
            let kind: RateLimitKind = pool == .primary ? .tpm : .fallbackTPM
            checks.append((kind, LimitFit(wait: tokenWait < 0 ? nil : tokenWait, resetMilliseconds: tokenReset)))
        }
        if let maxParallel = limits.maxParallel {
            checks.append((.parallel, LimitFit(inFlight: Int(inFlight), maxParallel: maxParallel)))
        }
        guard let rejection = AdmissionVerdict.rejection(checks, snapshot: snapshot) else {
            // Redis refused while every answer says it fits: only a script bug could do that.
            return .rejected(
                RateLimitRejection(limit: .rpm, retryAfterSeconds: 1, canEverFit: true, snapshot: snapshot))
        }
        return .rejected(rejection)
    }
}
