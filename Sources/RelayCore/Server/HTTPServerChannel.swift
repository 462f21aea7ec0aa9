import HummingbirdCore
import Logging
import NIOCore
import NIOSSL
import RelayHTTP

/// Relay's HTTP/1.1 server connection: the pipeline each accepted connection gets, and the task
/// that answers its requests on the connection's own event loop.
///
/// Hummingbird's `Server` accepts the connections and drains them on shutdown; everything after
/// the accept is Relay's: ``ConnectionInbox`` reads the requests from the socket's bytes and
/// queues their parts for the connection's task, and the response goes out as bytes Relay
/// encodes.
struct HTTPServerChannel: ServerChildChannel {
    typealias Value = HTTPConnection

    let responder: RelayResponder
    /// Per connection, the context in the box when it is accepted (a reload renews it); `nil`
    /// for plain HTTP.
    let tls: TLSContextBox?
    /// From the request head to the end of its body.
    let bodyTimeout: TimeAmount
    /// Until a request head is complete, and between requests on a kept-alive connection.
    let headerTimeout: TimeAmount
    /// How long a write waits for a client that does not read.
    let writeTimeout: TimeAmount

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<HTTPConnection> {
        channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            if let tls { try pipeline.addHandler(NIOSSLServerHandler(context: tls.context)) }
            let inbox = ConnectionInbox(
                eventLoop: channel.eventLoop, headerTimeout: headerTimeout, bodyTimeout: bodyTimeout,
                writeTimeout: writeTimeout)
            try pipeline.addHandler(inbox)
            return HTTPConnection(channel: channel, inbox: inbox)
        }
    }

    func handle(value connection: HTTPConnection, logger: Logger) async {
        await withTaskExecutorPreference(EventLoopExecutor(connection.channel.eventLoop)) {
            await withTaskCancellationHandler {
                await connection.serve(responder)
            } onCancel: {
                connection.channel.close(promise: nil)
            }
        }
    }
}
