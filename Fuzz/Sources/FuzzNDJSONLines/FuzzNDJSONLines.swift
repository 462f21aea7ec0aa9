// The NDJSON line splitter that reads Ollama's streaming answers.
//
// Fed in pieces whose lengths come from the input, it must give exactly the lines of a plain
// split on `\n` (one trailing `\r` removed from each), and the unterminated rest at the end.
@testable import FuzzedWire
@testable import RelayWire

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNDJSONLines(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let lengths = bytes.prefix(8).map { Int($0 % 32) + 1 }
    var splitter = NDJSONLineSplitter()
    var lines: [[UInt8]] = []
    var start = 0
    var turn = 0
    while start < size {
        let end = min(size, start + (lengths.isEmpty ? 1 : lengths[turn % lengths.count]))
        lines += splitter.append(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
        start = end
        turn += 1
    }
    let held = splitter.partialLineCount
    let tail = splitter.takeUnterminatedLine()

    // A plain split always has a last part: what follows the last `\n`, not a line yet.
    let parts = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
    let rest = parts[parts.count - 1]
    let expected = parts.dropLast().map(withoutCarriageReturn)
    if lines != expected {
        fatalError("FuzzNDJSONLines: \(lines.count) lines, a plain split gives \(expected.count)")
    }
    if held != rest.count {
        fatalError("FuzzNDJSONLines: holds \(held) bytes of an unended line, \(rest.count) are left")
    }
    let expectedTail = rest.isEmpty ? nil : withoutCarriageReturn(rest)
    if tail != expectedTail {
        fatalError("FuzzNDJSONLines: the unterminated last line differs from the bytes after the last newline")
    }
    return 0
}

private func withoutCarriageReturn(_ line: [UInt8]) -> [UInt8] {
    line.last == UInt8(ascii: "\r") ? Array(line.dropLast()) : line
}
