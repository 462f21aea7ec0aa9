// The SSE framer that reads streaming answers from OpenAI-style upstreams.
//
// Network reads cut a stream anywhere: the events must not depend on where. The stream is fed
// whole, a byte at a time, and in pieces whose lengths come from the input's own bytes, and
// every feeding must give the same events.
@testable import FuzzedWire

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSSEFrames(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let whole = events(of: bytes, cutEvery: [size])
    let byteByByte = events(of: bytes, cutEvery: [1])
    if whole != byteByByte {
        fatalError("FuzzSSEFrames: byte-by-byte feeding gives \(byteByByte.count) events, whole gives \(whole.count)")
    }
    // Piece lengths 1...16 taken from the data itself, so the fuzzer explores cut positions too.
    let lengths = bytes.prefix(8).map { Int($0 % 16) + 1 }
    let pieces = events(of: bytes, cutEvery: lengths.isEmpty ? [3] : lengths)
    if whole != pieces {
        fatalError("FuzzSSEFrames: pieces \(lengths) give \(pieces.count) events, whole gives \(whole.count)")
    }
    return 0
}

/// The events of `bytes` fed to one parser in consecutive pieces of the given lengths (cycled).
private func events(of bytes: UnsafeRawBufferPointer, cutEvery lengths: [Int]) -> [SSEFrameParser.Event] {
    var parser = SSEFrameParser()
    var events: [SSEFrameParser.Event] = []
    var start = 0
    var turn = 0
    while start < bytes.count {
        let end = min(bytes.count, start + max(1, lengths[turn % lengths.count]))
        events += parser.append(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
        start = end
        turn += 1
    }
    return events
}
