import NIOConcurrencyHelpers

/// The last key that authenticated on one client connection, so that the connection's next
/// requests with the same key skip its digest and the look-up.
///
/// A connection's `RelayRequestContext` holds one. What it remembers holds for the
/// authenticator that checked the key only: a reload makes a new authenticator, and a key
/// remembered by the one before is checked again (and refused, if the reload removed it). The
/// key presented is compared with the remembered one in a time that depends on their lengths
/// only, because a connection from a proxy or balancer can carry the requests of several clients.
final class ConnectionKeyMemo: Sendable {
    private struct Remembered {
        let checker: AuthenticatorIdentity
        let key: [UInt8]
        let principal: Principal
    }

    private let remembered = NIOLockedValueBox<Remembered?>(nil)

    /// The principal of `key` when it is the key remembered, as `checker` checked it.
    func principal(for key: UnsafeBufferPointer<UInt8>, checkedBy checker: AuthenticatorIdentity) -> Principal? {
        remembered.withLockedValue { remembered in
            guard let remembered, remembered.checker === checker, remembered.key.count == key.count else {
                return nil
            }
            var difference: UInt8 = 0
            for index in 0..<key.count { difference |= remembered.key[index] ^ key[index] }
            return difference == 0 ? remembered.principal : nil
        }
    }

    /// Remembers that `checker` found `key` to be `principal`'s, instead of the key before.
    func remember(_ key: UnsafeBufferPointer<UInt8>, as principal: Principal, checkedBy checker: AuthenticatorIdentity)
    {
        let entry = Remembered(checker: checker, key: Array(key), principal: principal)
        remembered.withLockedValue { $0 = entry }
    }
}

/// What tells one authenticator from the next: each `APIKeyAuthenticator` makes its own.
final class AuthenticatorIdentity: Sendable {}
