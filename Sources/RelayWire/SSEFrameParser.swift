import NIOCore

/// Splits a `text/event-stream` byte stream into events, however its bytes are cut into reads.
///
/// ```swift
/// var parser = SSEFrameParser()
/// for event in parser.append(buffer) { handle(event.data) }
/// ```
package struct SSEFrameParser: Sendable {
    package struct Event: Sendable, Equatable {
        /// The event's `data:` lines joined with `\n`; `nil` for an event without data (a comment).
        package var data: [UInt8]?
    }

    /// Bytes of a line not yet ended.
    private var partialLine: [UInt8] = []
    private var dataLines: [[UInt8]] = []
    private var sawField = false

    package init() {}

    package mutating func append(_ buffer: ByteBuffer) -> [Event] {
        buffer.withUnsafeReadableBytes { append(UnsafeRawBufferPointer($0)) }
    }

    package mutating func append(_ bytes: UnsafeRawBufferPointer) -> [Event] {
        var events: [Event] = []
        var lineStart = 0
        while let newline = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n")) {
            let piece = UnsafeRawBufferPointer(rebasing: bytes[lineStart..<newline])
            if partialLine.isEmpty {
                // The usual case, a whole line inside this read: read in place, not copied.
                if let event = endLine(piece) { events.append(event) }
            } else {
                var line = partialLine
                line.append(contentsOf: piece)
                partialLine.removeAll(keepingCapacity: true)
                if let event = line.withUnsafeBytes({ endLine($0) }) { events.append(event) }
            }
            lineStart = newline + 1
        }
        partialLine.append(contentsOf: bytes[lineStart...])
        return events
    }

    private mutating func endLine(_ bytes: UnsafeRawBufferPointer) -> Event? {
        var line = bytes[...]
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        if line.isEmpty {
            defer {
                dataLines.removeAll(keepingCapacity: true)
                sawField = false
            }
            guard sawField else { return nil }
            guard !dataLines.isEmpty else { return Event(data: nil) }
            if dataLines.count == 1 { return Event(data: dataLines[0]) }
            return Event(data: Array(dataLines.joined(separator: [UInt8(ascii: "\n")])))
        }
        sawField = true
        if line.starts(with: "data:".utf8) {
            var value = line.dropFirst(5)
            if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
            dataLines.append(Array(value))
        }
        return nil
    }
}
