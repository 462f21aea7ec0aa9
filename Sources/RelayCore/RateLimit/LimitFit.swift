import RelayWire

/// When a request fits one of its limits.
enum LimitFit: Equatable {
    case now
    case after(milliseconds: Int64)
    /// Its cost is larger than the limit; the window empties in `resetMilliseconds`.
    case never(resetMilliseconds: Int64)

    /// A window's answer: `wait` as `SlidingWindow.wait(toFit:limit:atMilliseconds:)` gives it.
    init(wait: Int64?, resetMilliseconds: Int64) {
        switch wait {
        case nil: self = .never(resetMilliseconds: resetMilliseconds)
        case let milliseconds? where milliseconds > 0: self = .after(milliseconds: milliseconds)
        default: self = .now
        }
    }

    /// A `max_parallel` answer: a slot frees when another request ends, which no window can
    /// predict, so a full key is told to retry in a second.
    init(inFlight: Int, maxParallel: Int) {
        if maxParallel <= 0 {
            self = .never(resetMilliseconds: 1000)
        } else {
            self = inFlight >= maxParallel ? .after(milliseconds: 1000) : .now
        }
    }
}

/// Turns the answers of a request's limits into a rejection, or `nil` when every limit fits.
/// Shared by both limiters, so they name the same limit and the same `retry-after`.
enum AdmissionVerdict {
    static func rejection(
        _ checks: [(kind: RateLimitKind, fit: LimitFit)],
        snapshot: RateLimitSnapshot
    ) -> RateLimitRejection? {
        for check in checks {
            if case .never(let reset) = check.fit {
                return RateLimitRejection(
                    limit: check.kind,
                    retryAfterSeconds: seconds(roundingUp: reset),
                    canEverFit: false,
                    snapshot: snapshot
                )
            }
        }
        // The request fits once *every* limit has room: the longest wait decides.
        var longest: (kind: RateLimitKind, milliseconds: Int64)?
        for check in checks {
            if case .after(let wait) = check.fit, wait > longest?.milliseconds ?? 0 {
                longest = (check.kind, wait)
            }
        }
        guard let longest else { return nil }
        return RateLimitRejection(
            limit: longest.kind,
            retryAfterSeconds: seconds(roundingUp: longest.milliseconds),
            canEverFit: true,
            snapshot: snapshot
        )
    }

    /// Whole seconds, rounded up so a client that waits them finds room; at least 1.
    static func seconds(roundingUp milliseconds: Int64) -> Int {
        Int(max(1, (milliseconds + 999) / 1000))
    }
}
