import NIOConcurrencyHelpers
import Testing

@testable import RelayCore

/// Lines reach the writer whole, in order, in batches, each batch once.
struct LogSinkTests {
    /// What the sink handed its writer, one entry per write.
    private final class Writes: Sendable {
        let batches = NIOLockedValueBox<[String]>([])
    }

    @Test func linesArriveInOrderEachEndedByANewline() {
        let writes = Writes()
        let sink = LogSink { bytes in
            writes.batches.withLockedValue { $0.append(String(decoding: bytes, as: UTF8.self)) }
        }
        sink.emit(Array("first".utf8))
        sink.emit(Array("second".utf8))
        sink.flush()
        sink.emit(Array("third".utf8))
        sink.flush()
        sink.flush()
        #expect(writes.batches.withLockedValue { $0 } == ["first\nsecond\n", "third\n"])
    }

    @Test func aLineIsWrittenWithinTheRoomItAskedFor() {
        let writes = Writes()
        let sink = LogSink { bytes in
            writes.batches.withLockedValue { $0.append(String(decoding: bytes, as: UTF8.self)) }
        }
        // Batches larger than the last, so each swap finds a buffer too small and grows it.
        for size in [10, 1_000, 100_000, 10] {
            sink.emit(most: size + 5) { room in
                #expect(room.count >= size + 5)
                room.initializeMemory(as: UInt8.self, repeating: UInt8(ascii: "a"))
                return size
            }
            sink.flush()
        }
        #expect(writes.batches.withLockedValue { $0.map(\.count) } == [11, 1_001, 100_001, 11])
        #expect(writes.batches.withLockedValue { $0.allSatisfy { $0.dropLast().allSatisfy { $0 == "a" } } })
    }

    @Test func linesLeftForTheBackgroundQueueAreWrittenByDrain() {
        let writes = Writes()
        let sink = LogSink { bytes in
            writes.batches.withLockedValue { $0.append(String(decoding: bytes, as: UTF8.self)) }
        }
        for index in 0..<1_000 { sink.emit(Array("line \(index)".utf8)) }
        sink.drain()
        let written = writes.batches.withLockedValue { $0.joined() }
        #expect(written == (0..<1_000).map { "line \($0)\n" }.joined())
    }
}
