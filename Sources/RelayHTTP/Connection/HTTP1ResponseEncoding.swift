import HTTPTypes
import NIOCore
import RelayWire

/// HTTP/1.1 response bytes written straight from a status and swift-http-types' `HTTPFields`,
/// with no second header type in between: each field is one write, its name and value copied
/// once.
package enum HTTP1ResponseEncoding {
    /// The status line, the fields, Relay's own (`decoration`) and `date`, then
    /// `Transfer-Encoding: chunked` for a chunked body, then the empty line; with room for
    /// `reserving` more bytes, so a small body can follow in the same buffer. The framing fields
    /// are Relay's to write: a `Transfer-Encoding` in the response is left out, and so is
    /// `Content-Length` for a status that has no body, and `Date` for the one given.
    package static func head(
        status: HTTPResponse.Status, fields headerFields: HTTPFields, decoration: ResponseDecoration? = nil,
        framing: ResponseFraming, date: String?, allocator: ByteBufferAllocator, reserving extra: Int = 0
    ) -> ByteBuffer {
        let reason = status.reasonPhrase
        // Room for typical fields up front; the head is written in one go while they fit, and a
        // field at a time past that (a long field grows the buffer).
        var buffer = allocator.buffer(capacity: 128 + 64 * headerFields.count + extra)
        var fields = headerFields.makeIterator()
        var doesNotFit: HTTPField?
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: statusLineSize(reason)) { out in
            var writer = RawByteWriter(out: out)
            writer.put("HTTP/1.1 ")
            writer.put(byte: UInt8(ascii: "0") + UInt8(status.code / 100 % 10))
            writer.put(byte: UInt8(ascii: "0") + UInt8(status.code / 10 % 10))
            writer.put(byte: UInt8(ascii: "0") + UInt8(status.code % 10))
            writer.put(" ")
            writer.put(reason)
            writer.put("\r\n")
            while let field = fields.next() {
                if leavesOut(field.name, framing: framing, date: date) { continue }
                let name = field.name.rawName
                let fits = field.withUnsafeBytesOfValue { value in
                    guard writer.at + name.utf8.count + value.count + 4 <= out.count else { return false }
                    writer.putHeadLine(name, ": ", UnsafeRawBufferPointer(value), "\r\n")
                    return true
                }
                guard fits else {
                    doesNotFit = field
                    break
                }
            }
            return writer.at
        }
        if let doesNotFit {
            write(doesNotFit, into: &buffer)
            while let field = fields.next() {
                if !leavesOut(field.name, framing: framing, date: date) { write(field, into: &buffer) }
            }
        }
        let dateSize = date.map { "date: \r\n".utf8.count + $0.utf8.count } ?? 0
        let room = (decoration?.mostBytes ?? 0) + dateSize + chunkedField.utf8CodeUnitCount + 2
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: room) { out in
            var writer = RawByteWriter(out: out)
            decoration?.put(into: &writer)
            if let date {
                writer.put("date: ")
                writer.put(date)
                writer.put("\r\n")
            }
            if framing == .chunked { writer.put(chunkedField) }
            writer.put("\r\n")
            // The writer checks no bounds: `mostBytes` must be enough, and is checked here.
            precondition(writer.at <= out.count, "a response head longer than its room")
            return writer.at
        }
        return buffer
    }

    /// `name: value` and CRLF.
    private static func write(_ field: HTTPField, into buffer: inout ByteBuffer) {
        let name = field.name.rawName
        field.withUnsafeBytesOfValue { buffer.writeHeadLine(name, ": ", UnsafeRawBufferPointer($0), "\r\n") }
    }

    /// Compares lengths first: most names differ from these three in length alone.
    private static func leavesOut(_ name: HTTPField.Name, framing: ResponseFraming, date: String?) -> Bool {
        switch name.canonicalName.utf8.count {
        case 17: name == .transferEncoding
        case 14: framing == .bodiless && name == .contentLength
        case 4: date != nil && name == .date
        default: false
        }
    }

    /// One chunk of a chunked body: its size in hexadecimal, the bytes, CRLF.
    static func chunk(_ body: ByteBuffer, allocator: ByteBufferAllocator) -> ByteBuffer {
        let count = body.readableBytes
        var buffer = allocator.buffer(capacity: count + 20)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 18) { out in
            var writer = RawByteWriter(out: out)
            writer.putHex(count)
            writer.put("\r\n")
            return writer.at
        }
        buffer.writeImmutableBuffer(body)
        buffer.writeStaticString("\r\n")
        return buffer
    }

    /// The end of a chunked body: the zero-size chunk, the trailer fields, the empty line.
    static func lastChunk(trailers: HTTPFields?, into buffer: inout ByteBuffer) {
        buffer.writeStaticString("0\r\n")
        for field in trailers ?? [:] { write(field, into: &buffer) }
        buffer.writeStaticString("\r\n")
    }

    private static let chunkedField: StaticString = "transfer-encoding: chunked\r\n"

    private static func statusLineSize(_ reason: String) -> Int {
        "HTTP/1.1 200 ".utf8.count + reason.utf8.count + 2
    }
}
