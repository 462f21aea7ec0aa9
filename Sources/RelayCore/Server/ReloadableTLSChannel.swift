import HummingbirdCore
import Logging
import NIOCore
import NIOSSL

/// A server child channel that speaks TLS with the context in `contexts` at the moment the
/// connection is accepted, then hands the decrypted stream to `base` (HummingbirdTLS's own
/// `TLSChannel` fixes its context once, so it could not pick up a renewed certificate).
struct ReloadableTLSChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value
    let base: Base
    let contexts: TLSContextBox

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: contexts.context))
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// Relay's HTTP/1.1 channel behind TLS, with the certificate read from `contexts` per connection.
    static func reloadableTLS(_ contexts: TLSContextBox, http1 configuration: HTTP1Channel.Configuration)
        -> HTTPServerBuilder
    {
        .init { responder in
            ReloadableTLSChannel(
                base: EventLoopBoundHTTP1Channel(
                    http1: HTTP1Channel(responder: responder, configuration: configuration)
                ),
                contexts: contexts
            )
        }
    }
}
