import Dispatch
import Glibc
import NIOConcurrencyHelpers
import NIOCore

/// Where log lines go: stdout by default, a closure in tests.
///
/// Lines are written into a buffer under a lock and handed to `write` in batches by a background
/// queue, so a request never waits for the terminal or a slow log collector; order is kept.
package final class LogSink: Sendable {
    /// The lines of the next batch.
    private let pending = NIOLockedValueBox(ByteBuffer())
    /// The batch being written. The two buffers are swapped, never reallocated, so a busy gateway
    /// keeps reusing the same memory: a new buffer per batch would be mapped and unmapped by the
    /// allocator each time (its size is over `malloc`'s mapping threshold), faulting its pages in
    /// anew and interrupting every core that runs a thread of the process.
    private let writing = NIOLockedValueBox(ByteBuffer())
    private let queue = DispatchQueue(label: "relay.log")
    private let write: @Sendable (UnsafeRawBufferPointer) -> Void
    /// How long a line may wait for others to share its write.
    static let batchDelay = DispatchTimeInterval.milliseconds(5)

    init(write: @escaping @Sendable (UnsafeRawBufferPointer) -> Void) {
        self.write = write
    }

    static let standardOutput = LogSink { bytes in
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(1, bytes.baseAddress! + offset, bytes.count - offset)
            if written <= 0 { return }
            offset += written
        }
    }

    /// Appends one line (a newline is added).
    func emit(_ line: [UInt8]) {
        emit(most: line.count) { out in
            line.withUnsafeBytes { out.copyMemory(from: $0) }
            return line.count
        }
    }

    /// Appends the line `format` writes into the room it is given (at least `most` bytes);
    /// `format` returns the line's length, and a newline is added. The line is written where the
    /// batch is, not made on its own and copied in.
    func emit(most: Int, _ format: (UnsafeMutableRawBufferPointer) -> Int) {
        let wasEmpty = pending.withLockedValue { buffer in
            let wasEmpty = buffer.readableBytes == 0
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: most + 1) { out in
                let count = format(out)
                precondition(count <= most, "a log line longer than its room")
                out[count] = UInt8(ascii: "\n")
                return count + 1
            }
            return wasEmpty
        }
        // The first line of a batch schedules its write a little later, so a busy gateway writes
        // many lines per system call and wakes the writer once per batch, not once per line.
        if wasEmpty { queue.asyncAfter(deadline: .now() + Self.batchDelay) { self.flush() } }
    }

    /// Writes everything emitted so far; called at exit so no line is lost.
    func flush() {
        writing.withLockedValue { batch in
            pending.withLockedValue { swap(&$0, &batch) }
            if batch.readableBytes > 0 { batch.withUnsafeReadableBytes(write) }
            batch.clear()
        }
    }

    /// Waits for lines already handed to the background queue.
    func drain() {
        queue.sync { self.flush() }
    }
}
