// The SSE framer that reads streaming answers from OpenAI-style upstreams.
//
// Network reads cut a stream anywhere: the events must not depend on where. The stream is fed
// whole, a byte at a time, and in pieces whose lengths come from the input's own bytes, and
// every feeding must give the same events. Each event's data then goes through the single-pass
// reader of stream chunks, which must agree with the general JSON scanner on whether it is JSON
// and on every member the stream relay reads.
@testable import FuzzedWire
@testable import RelayWire

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
    for data in whole.compactMap(\.data) { checkChunkReading(data) }
    return 0
}

private func checkChunkReading(_ data: [UInt8]) {
    let general = try? JSONScanner.object(in: data)
    let chunk = try? OpenAIStreamChunk(scanning: data)
    guard let general, let chunk else {
        if (general == nil) != (chunk == nil) {
            fatalError("FuzzSSEFrames: the chunk reader \(chunk == nil ? "refuses" : "accepts") what the scanner does not")
        }
        return
    }
    let choices = general.array("choices")
    let choice = choices?.first.flatMap { try? JSONScanner.object(in: data, range: $0) }
    let text = choice?.object("delta")?.member("content") ?? choice?.member("text")
    var spliced: [UInt8] = []
    var splicedByScanner: [UInt8] = []
    chunk.models.splice(data, replacingWith: [0x30], into: &spliced)
    general.append(replacingValuesOf: "model", with: [0x30], to: &splicedByScanner)
    let agrees =
        chunk.id == general.member("id")?.valueRange && chunk.object == general.member("object")?.valueRange
        && chunk.created == general.member("created")?.valueRange
        && chunk.usage == general.member("usage")?.valueRange
        && chunk.hasError == (general.member("error") != nil) && chunk.choiceCount == choices?.count
        && chunk.firstChoiceText == text?.valueRange && spliced == splicedByScanner
    if !agrees { fatalError("FuzzSSEFrames: the chunk reader and the scanner read different members") }
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
