import NIOSSL
import Synchronization

/// The listener's current TLS context. Each new connection takes the one in the box; a reload
/// swaps in a context built from the renewed files, and connections already open keep theirs.
final class TLSContextBox: Sendable {
    private let current: Mutex<NIOSSLContext>

    init(_ context: NIOSSLContext) {
        current = Mutex(context)
    }

    var context: NIOSSLContext { current.withLock { $0 } }

    func replace(with context: NIOSSLContext) {
        current.withLock { $0 = context }
    }
}
