import CMalloc
import ServiceLifecycle

/// Gives the memory a burst of traffic freed back to the system, so that RSS falls back after
/// the burst instead of staying at its peak.
///
/// glibc's allocator keeps what is freed in its arenas for reuse and returns only the free space
/// at the top of a heap; the buffers and connections of thousands of concurrent streams are
/// freed all over the heap, so without this RSS stays where the burst left it. Every `interval`
/// the trimmer reads how many bytes the arenas hold free (`mallinfo2`); when that grew by
/// `threshold` or more since its lowest point since the last trim, it calls `malloc_trim(0)`,
/// which hands every whole free page back (`MADV_DONTNEED`), in the middle of a heap as well.
/// Under steady load the free bytes stay level and nothing is trimmed. It runs off the event
/// loops: a trim holds each arena's lock while it walks that arena.
struct HeapTrimmer: Service {
    var interval: Duration = .seconds(5)
    var threshold = 8 << 20

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            var gate = Gate(threshold: threshold)
            _ = gate.shouldTrim(freeBytes: Self.freeBytes())  // counts from what is free at start
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard gate.shouldTrim(freeBytes: Self.freeBytes()) else { continue }
                malloc_trim(0)
                gate.trimmed(freeBytes: Self.freeBytes())
            }
        }
    }

    /// Bytes the allocator's arenas hold free: chunks in its bins and the tops of its heaps.
    static func freeBytes() -> Int { Int(mallinfo2().fordblks) }

    /// When to trim: once the free bytes rose `threshold` above their lowest since the last trim.
    /// Trimmed pages stay free chunks to the allocator, so the count is taken again after a trim
    /// and only what is freed later counts toward the next.
    struct Gate {
        let threshold: Int
        private var lowestFree: Int?

        init(threshold: Int) { self.threshold = threshold }

        mutating func shouldTrim(freeBytes: Int) -> Bool {
            guard let lowest = lowestFree, freeBytes >= lowest else {
                lowestFree = freeBytes
                return false
            }
            return freeBytes - lowest >= threshold
        }

        mutating func trimmed(freeBytes: Int) { lowestFree = freeBytes }
    }
}
