import Testing

@testable import RelayCore

/// The trimmer trims once a burst's memory is free, and not again until more is freed.
struct HeapTrimmerTests {
    /// The gate's answer to each reading of the free bytes, in turn.
    private func answers(_ gate: inout HeapTrimmer.Gate, _ readings: [Int]) -> [Bool] {
        readings.map { gate.shouldTrim(freeBytes: $0) }
    }

    @Test func aRiseOfTheThresholdAboveTheLowestFreeCountTrims() {
        var gate = HeapTrimmer.Gate(threshold: 100)
        #expect(answers(&gate, [50, 149, 150]) == [false, false, true])
    }

    @Test func theRiseCountsFromTheLowestPointNotTheLastReading() {
        var gate = HeapTrimmer.Gate(threshold: 100)
        // A burst takes the free memory (500 -> 20), then gives it back.
        #expect(answers(&gate, [500, 20, 90, 400]) == [false, false, false, true])
    }

    @Test func afterATrimOnlyWhatIsFreedLaterCounts() {
        var gate = HeapTrimmer.Gate(threshold: 100)
        #expect(answers(&gate, [0, 1_000]) == [false, true])
        gate.trimmed(freeBytes: 1_000)  // trimmed pages stay free chunks to the allocator
        #expect(answers(&gate, [1_050, 1_100]) == [false, true])
    }

    /// A sanitizer's allocator stands in for glibc's, whose `mallinfo2` then reports nothing.
    @Test(.enabled(if: HeapTrimmer.freeBytes() > 0, "glibc's allocator is the one in use"))
    func theAllocatorsFreeCountFollowsFreedBlocks() {
        // mallinfo2 is what the gate reads. Every other block of 128 is freed, so the 1 MiB freed
        // cannot merge into the heap's top (which free() hands back at once) and stay held.
        let blocks = (0..<128).map { _ in UnsafeMutableRawPointer.allocate(byteCount: 16 << 10, alignment: 16) }
        let held = HeapTrimmer.freeBytes()
        for block in blocks.enumerated() where block.offset.isMultiple(of: 2) { block.element.deallocate() }
        let freed = HeapTrimmer.freeBytes()
        for block in blocks.enumerated() where !block.offset.isMultiple(of: 2) { block.element.deallocate() }
        #expect(freed >= held + (512 << 10))
    }
}
