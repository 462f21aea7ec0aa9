import ArgumentParser
import NIOCore
import NIOPosix

// Run Swift concurrency on NIO's event loops, so a request's task and its sockets share a thread
// instead of hopping between two pools; it must happen before any task starts. NIO finds the
// runtime's hook with dlsym, which works with the dynamic Swift runtime only: a release binary
// built with --static-swift-stdlib keeps the hook private, and this does nothing there.
_ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()

do {
    var command = try Relay.parseAsRoot()
    // `serve` is the one asynchronous command; the others run as they are.
    if let serve = command as? Serve {
        // Start the event loops here, on the main thread: a thread inherits its creator's
        // scheduling priority, and the pool threads that run tasks set their own from a quality
        // of service, so loops started from a task would drop a `nice` (systemd's `Nice=`)
        // given to the process.
        _ = MultiThreadedEventLoopGroup.singleton
        try await serve.serve()
    } else if let usage = command as? Usage {
        try await usage.usage()
    } else {
        try command.run()
    }
} catch {
    Relay.exit(withError: error)
}
