/// Finds the bytes a JSON string cannot hold as they are (`"`, `\` and control bytes), eight
/// bytes at a time: the scan every string of every request body, answer and access line goes
/// through, nearly always to find nothing until the closing quote.
enum JSONSpecialBytes {
    /// The position of the first such byte in `buffer[start..<limit]`, or `limit`.
    static func first(in buffer: UnsafeBufferPointer<UInt8>, from start: Int, to limit: Int) -> Int {
        WordScan.first(
            in: UnsafeRawBufferPointer(buffer), from: start, to: limit,
            marks: {
                WordScan.below($0, 0x20) | WordScan.equal($0, UInt8(ascii: "\""))
                    | WordScan.equal($0, UInt8(ascii: "\\"))
            },
            matches: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }
        )
    }
}
