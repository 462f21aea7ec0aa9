import RelayWire

/// What an admitted request holds until it settles.
package struct Reservation: Sendable, Equatable {
    /// Which of a key's token budgets a reservation draws on.
    enum Pool: Sendable, Equatable {
        /// `rpm`, `tpm` and `max_parallel`.
        case primary
        /// `fallback_tpm`.
        case fallback
    }

    /// Where the reservation was recorded, so that `settle` goes to the same place even when the
    /// Redis limiter changed between its in-process fallback and Redis in the meantime.
    enum Ledger: Sendable, Equatable {
        case none
        case inProcess
        case redis
    }

    /// The key's name (`api_keys[].name`).
    let key: String
    /// The estimated tokens this reservation holds.
    let tokens: Int
    let pool: Pool
    /// The windows after this admission, for the `x-ratelimit-*` headers.
    let snapshot: RateLimitSnapshot

    let ledger: Ledger
    /// The window second the tokens were charged to (in the ledger's own clock).
    let windowSecond: Int64
    /// Tokens charged to the window; `nil` when the pool had no token limit at admission.
    let chargedTokens: Int?
    /// The `max_parallel` slot held, if the key had that limit at admission.
    let slotID: String?

    init(
        key: String,
        tokens: Int,
        pool: Pool,
        snapshot: RateLimitSnapshot,
        ledger: Ledger,
        windowSecond: Int64,
        chargedTokens: Int?,
        slotID: String?
    ) {
        self.key = key
        self.tokens = tokens
        self.pool = pool
        self.snapshot = snapshot
        self.ledger = ledger
        self.windowSecond = windowSecond
        self.chargedTokens = chargedTokens
        self.slotID = slotID
    }

    /// A reservation that holds nothing: settling it does nothing.
    init(unlimitedFor key: String, tokens: Int, pool: Pool) {
        self.init(
            key: key,
            tokens: tokens,
            pool: pool,
            snapshot: RateLimitSnapshot(),
            ledger: .none,
            windowSecond: 0,
            chargedTokens: nil,
            slotID: nil
        )
    }
}
