import Foundation
import NIOConcurrencyHelpers

/// Where log lines go: stdout by default, a closure in tests.
///
/// Lines are appended to a buffer under a lock and written in batches by a background queue, so a
/// request never waits for the terminal or a slow log collector; order is kept.
public final class LogSink: Sendable {
    private let pending = NIOLockedValueBox<[UInt8]>([])
    private let queue = DispatchQueue(label: "relay.log")
    private let write: @Sendable ([UInt8]) -> Void
    /// How long a line may wait for others to share its write.
    static let batchDelay = DispatchTimeInterval.milliseconds(5)

    public init(write: @escaping @Sendable ([UInt8]) -> Void) {
        self.write = write
    }

    public static let standardOutput = LogSink { bytes in
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(1, buffer.baseAddress! + offset, buffer.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    }

    /// Appends one line (a newline is added).
    public func emit(_ line: [UInt8]) {
        let wasEmpty = pending.withLockedValue { buffer in
            let wasEmpty = buffer.isEmpty
            buffer += line
            buffer.append(UInt8(ascii: "\n"))
            return wasEmpty
        }
        // The first line of a batch schedules its write a little later, so a busy gateway writes
        // many lines per system call and wakes the writer once per batch, not once per line.
        if wasEmpty { queue.asyncAfter(deadline: .now() + Self.batchDelay) { self.flush() } }
    }

    /// Writes everything emitted so far; called at exit so no line is lost.
    public func flush() {
        let bytes = pending.withLockedValue { buffer in
            defer { buffer.removeAll(keepingCapacity: true) }
            return buffer
        }
        if !bytes.isEmpty { write(bytes) }
    }

    /// Waits for lines already handed to the background queue.
    public func drain() {
        queue.sync { self.flush() }
    }
}
