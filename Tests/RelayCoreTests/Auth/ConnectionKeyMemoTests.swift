import Testing

@testable import RelayCore

/// `ConnectionKeyMemo`: one connection's last key that authenticated.
@Suite struct ConnectionKeyMemoTests {
    private let principal = Principal(
        APIKeyConfig(name: "team-a", hash: .sha256([]), scopes: ["*"]), defaultLimits: nil)

    private func recall(_ memo: ConnectionKeyMemo, _ key: String, _ checker: AuthenticatorIdentity) -> String? {
        var key = key
        return key.withUTF8 { memo.principal(for: $0, checkedBy: checker)?.name }
    }

    private func remember(_ memo: ConnectionKeyMemo, _ key: String, _ checker: AuthenticatorIdentity) {
        var key = key
        key.withUTF8 { memo.remember($0, as: principal, checkedBy: checker) }
    }

    @Test func theKeyRememberedIsRecalledForItsCheckerOnly() {
        let memo = ConnectionKeyMemo()
        let checker = AuthenticatorIdentity()
        #expect(recall(memo, "rk-secret-1", checker) == nil)
        remember(memo, "rk-secret-1", checker)
        #expect(recall(memo, "rk-secret-1", checker) == "team-a")
        #expect(recall(memo, "rk-secret-1", AuthenticatorIdentity()) == nil)
    }

    @Test func anotherKeyIsNotRecalledHoweverCloseItIs() {
        let memo = ConnectionKeyMemo()
        let checker = AuthenticatorIdentity()
        remember(memo, "rk-secret-1", checker)
        for other in ["rk-secret-2", "rk-secret-", "rk-secret-10", "RK-SECRET-1", "", "sk-secret-1"] {
            #expect(recall(memo, other, checker) == nil, "\(other)")
        }
    }

    @Test func rememberingAKeyForgetsTheOneBefore() {
        let memo = ConnectionKeyMemo()
        let checker = AuthenticatorIdentity()
        remember(memo, "rk-first", checker)
        remember(memo, "rk-second", checker)
        #expect(recall(memo, "rk-first", checker) == nil)
        #expect(recall(memo, "rk-second", checker) == "team-a")
    }
}
