import HTTPTypes
import NIOCore

/// HTTP/1.1 response bytes written straight from swift-http-types' `HTTPResponse`.
///
/// NIO's encoder takes NIOHTTP1's `HTTPHeaders`: every answer's fields were copied into that
/// second header type, then written into the buffer a run of bytes at a time, each write with
/// its own capacity and exclusivity checks (about 30,000 instructions a request). Here the size
/// is counted first and each name and value copied once.
enum HTTP1ResponseEncoding {
    /// The status line and the fields, then `Transfer-Encoding: chunked` when `chunked` (the
    /// caller removed any such field the response had), then the empty line; with room for
    /// `reserving` more bytes, so a small body can follow in the same buffer.
    static func head(
        _ response: HTTPResponse, chunked: Bool, allocator: ByteBufferAllocator, reserving extra: Int = 0
    ) -> ByteBuffer {
        let reason = response.status.reasonPhrase
        var size = statusLineSize(reason) + 2
        for field in response.headerFields { size += fieldSize(field) }
        if chunked { size += chunkedField.utf8CodeUnitCount }
        var buffer = allocator.buffer(capacity: size + extra)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { out in
            var writer = RawWriter(out: out)
            writer.put("HTTP/1.1 ")
            let code = response.status.code
            writer.put(byte: UInt8(ascii: "0") + UInt8(code / 100 % 10))
            writer.put(byte: UInt8(ascii: "0") + UInt8(code / 10 % 10))
            writer.put(byte: UInt8(ascii: "0") + UInt8(code % 10))
            writer.put(" ")
            writer.put(reason)
            writer.put("\r\n")
            for field in response.headerFields { writer.put(field) }
            if chunked { writer.put(chunkedField) }
            writer.put("\r\n")
            return writer.at
        }
        return buffer
    }

    /// One chunk of a chunked body: its size in hexadecimal, the bytes, CRLF.
    static func chunk(_ body: ByteBuffer, allocator: ByteBufferAllocator) -> ByteBuffer {
        let count = body.readableBytes
        var buffer = allocator.buffer(capacity: count + 20)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 18) { out in
            var writer = RawWriter(out: out)
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
        var size = 5
        for field in trailers ?? [:] { size += fieldSize(field) }
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { out in
            var writer = RawWriter(out: out)
            writer.put("0\r\n")
            for field in trailers ?? [:] { writer.put(field) }
            writer.put("\r\n")
            return writer.at
        }
    }

    private static let chunkedField: StaticString = "transfer-encoding: chunked\r\n"

    private static func statusLineSize(_ reason: String) -> Int {
        "HTTP/1.1 200 ".utf8.count + reason.utf8.count + 2
    }

    private static func fieldSize(_ field: HTTPField) -> Int {
        field.name.rawName.utf8.count + 4 + field.withUnsafeBytesOfValue(\.count)
    }

    /// Copies bytes into a buffer the size was counted for.
    private struct RawWriter {
        let out: UnsafeMutableRawBufferPointer
        var at = 0

        mutating func put(_ bytes: UnsafeRawBufferPointer) {
            guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
            (out.baseAddress! + at).copyMemory(from: base, byteCount: bytes.count)
            at += bytes.count
        }

        mutating func put(_ text: StaticString) {
            put(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
        }

        mutating func put(_ text: String) {
            var text = text
            text.withUTF8 { put(UnsafeRawBufferPointer($0)) }
        }

        mutating func put(byte: UInt8) {
            out[at] = byte
            at += 1
        }

        mutating func put(_ field: HTTPField) {
            put(field.name.rawName)
            put(": ")
            field.withUnsafeBytesOfValue { put(UnsafeRawBufferPointer($0)) }
            put("\r\n")
        }

        mutating func putHex(_ value: Int) {
            let digits: StaticString = "0123456789abcdef"
            var shift = max(0, (Int.bitWidth - value.leadingZeroBitCount + 3) / 4 - 1) * 4
            while shift >= 0 {
                put(byte: digits.utf8Start[(value >> shift) & 0xF])
                shift -= 4
            }
        }
    }
}
