@testable import RelayCore

/// A key with the given limits, as the authenticator would hand it to the limiter.
func testPrincipal(
    _ name: String = "dev",
    rpm: Int? = nil,
    tpm: Int? = nil,
    maxParallel: Int? = nil,
    fallbackTPM: Int? = nil
) -> Principal {
    var entry = APIKeyConfig(name: name, hash: .sha256(Array(repeating: 0, count: 32)), scopes: ["*"])
    entry.limits = Limits(rpm: rpm, tpm: tpm, maxParallel: maxParallel)
    entry.fallbackTPM = fallbackTPM
    return Principal(entry, defaultLimits: nil)
}

extension RateLimitDecision {
    var reservation: Reservation? {
        if case .admitted(let reservation) = self { return reservation }
        return nil
    }

    var rejection: RateLimitRejection? {
        if case .rejected(let rejection) = self { return rejection }
        return nil
    }
}
