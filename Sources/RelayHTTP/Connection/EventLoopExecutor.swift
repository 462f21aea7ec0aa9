import NIOCore

/// A task executor that runs jobs on one NIO event loop.
///
/// A request's task preferring its connection's event loop runs where its socket's reads and
/// writes happen, so the work of one request stays on one thread instead of hopping to Swift's
/// global pool and back at every `await` (NIO's own executor takeover cannot be installed in a
/// binary linked with `--static-swift-stdlib`).
package final class EventLoopExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    package init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
