import ArgumentParser
import NIOCore
import NIOPosix

// Swift concurrency runs on NIO's event loops, so a request's task and its sockets share a
// thread instead of hopping between two pools. It must happen before any task starts.
_ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()

do {
    var command = try Relay.parseAsRoot()
    // `serve` is the one asynchronous command; the others run as they are.
    if let serve = command as? Serve {
        try await serve.serve()
    } else {
        try command.run()
    }
} catch {
    Relay.exit(withError: error)
}
