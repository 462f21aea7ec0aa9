import NIOCore

/// Splits a `text/event-stream` byte stream into events, however its bytes are cut into reads.
///
/// ```swift
/// var parser = SSEFrameParser()
/// for event in parser.append(buffer) { handle(event.data) }
/// ```
public struct SSEFrameParser: Sendable {
    public struct Event: Sendable, Equatable {
        /// The event's `data:` lines joined with `\n`; `nil` for an event without data (a comment).
        public var data: [UInt8]?
    }

    /// Bytes of a line not yet ended.
    private var partialLine: [UInt8] = []
    private var dataLines: [[UInt8]] = []
    private var sawField = false

    public init() {}

    public mutating func append(_ buffer: ByteBuffer) -> [Event] {
        buffer.withUnsafeReadableBytes { append(UnsafeRawBufferPointer($0)) }
    }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) -> [Event] {
        var events: [Event] = []
        var lineStart = 0
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "\n") {
                var line = partialLine
                line.append(contentsOf: bytes[lineStart..<index])
                partialLine.removeAll(keepingCapacity: true)
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                if let event = endLine(line) { events.append(event) }
                lineStart = index + 1
            }
            index += 1
        }
        partialLine.append(contentsOf: bytes[lineStart..<bytes.count])
        return events
    }

    private mutating func endLine(_ line: [UInt8]) -> Event? {
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
        let dataPrefix: [UInt8] = Array("data:".utf8)
        if line.starts(with: dataPrefix) {
            var value = line.dropFirst(dataPrefix.count)
            if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
            dataLines.append(Array(value))
        }
        return nil
    }
}
