import NIOConcurrencyHelpers
import NIOSSL

/// The listener's current TLS context. Each new connection takes the one in the box; a reload
/// swaps in a context built from the renewed files, and connections already open keep theirs.
final class TLSContextBox: Sendable {
    private let current: NIOLockedValueBox<NIOSSLContext>

    init(_ context: NIOSSLContext) {
        current = NIOLockedValueBox(context)
    }

    var context: NIOSSLContext { current.withLockedValue { $0 } }

    func replace(with context: NIOSSLContext) {
        current.withLockedValue { $0 = context }
    }
}
