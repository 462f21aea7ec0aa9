/// Splits a newline-delimited JSON byte stream into lines, however its bytes are cut into
/// reads: a line may span reads, and one read may hold several lines.
///
/// ```swift
/// var splitter = NDJSONLineSplitter()
/// for line in splitter.append(bytes) { handle(line) }
/// if let last = splitter.takeUnterminatedLine() { handle(last) }  // at the end of the body
/// ```
struct NDJSONLineSplitter: Sendable {
    /// Bytes of a line not yet ended.
    private var partialLine: [UInt8] = []

    init() {}

    /// The complete lines in `bytes` (with what earlier reads left), without `\n` or `\r\n`.
    mutating func append(_ bytes: UnsafeRawBufferPointer) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var lineStart = 0
        for index in 0..<bytes.count where bytes[index] == UInt8(ascii: "\n") {
            var line = partialLine
            line.append(contentsOf: bytes[lineStart..<index])
            partialLine.removeAll(keepingCapacity: true)
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            lines.append(line)
            lineStart = index + 1
        }
        partialLine.append(contentsOf: bytes[lineStart..<bytes.count])
        return lines
    }

    /// How many bytes of an unended line are held.
    var partialLineCount: Int { partialLine.count }

    /// The last line when the stream ended without a final newline.
    mutating func takeUnterminatedLine() -> [UInt8]? {
        guard !partialLine.isEmpty else { return nil }
        defer { partialLine = [] }
        if partialLine.last == UInt8(ascii: "\r") { partialLine.removeLast() }
        return partialLine
    }
}
