import NIOCore
import NIOPosix

/// Checks a presented key against argon2id PHC strings. The authenticator takes one of these so
/// tests can count how many argon2 runs a request cost.
package protocol Argon2Verifying: Sendable {
    /// The index in `hashes` of the first PHC string `key` matches, or `nil`. Every hash tried
    /// is one argon2 run; `hashes` is never empty.
    func firstMatch(for key: [UInt8], among hashes: [String]) async -> Int?
}

/// Runs argon2 on a small thread pool of its own, never on an event loop: a verification blocks
/// its thread for tens of milliseconds, and the event loops must keep serving cached keys.
///
/// Half the cores (at least one), so argon2 can never take every core from request handling.
///
/// ```swift
/// let index = await Argon2ThreadPoolVerifier.shared.firstMatch(for: key, among: [phc])
/// ```
package struct Argon2ThreadPoolVerifier: Argon2Verifying {
    static let shared = Argon2ThreadPoolVerifier(pool: sharedPool)

    /// Lives as long as the process, like `NIOThreadPool.singleton`.
    private static let sharedPool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: max(1, System.coreCount / 2))
        pool.start()
        return pool
    }()

    private let pool: NIOThreadPool

    init(pool: NIOThreadPool) {
        self.pool = pool
    }

    package func firstMatch(for key: [UInt8], among hashes: [String]) async -> Int? {
        // The pool only fails when shut down; a key that could not be checked is not valid.
        let index = try? await pool.runIfActive { hashes.firstIndex { Argon2id.verify(key, against: $0) } }
        return index ?? nil
    }
}
