import NIOCore
import RelayWire

/// What a client's connection carries, in order: a request's head, its body's pieces, its end.
package enum HTTP1RequestPart {
    case head(ClientRequestHead)
    case body(ByteBuffer)
    case end
}

/// Reads a client's HTTP/1.1 requests from its connection's bytes, one after another (pipelined
/// ones too): each head, then its body as slices of the bytes read (never copied), then its end.
///
/// Framing is strict, so a request cannot be read one way here and another by a proxy in front (RFC 9112
/// §6.3, §11.2): a `Transfer-Encoding` must end in chunked and come without `Content-Length`
/// and not in HTTP/1.0; `Content-Length` is one number, given once; without either there is no
/// body. An HTTP/1.1 request has exactly one `Host`, an HTTP/1.0 one at most (§3.2). Empty
/// lines before a request line are read past (§2.2); a line ending in a bare LF is refused.
struct HTTP1RequestParser {
    private var body: HTTP1BodyReader?
    private var unread = UnreadBytes()
    /// How much of a head arriving in pieces was already searched for its end.
    private var headSearched = 0

    mutating func read(_ buffer: ByteBuffer) {
        unread.append(buffer)
    }

    /// The next part of a request, or `nil` until more bytes are read.
    package mutating func next() throws(HTTP1ParseError) -> HTTP1RequestPart? {
        var bytes = unread.take()
        defer { unread.putBack(bytes) }
        guard var reader = body else {
            guard let (head, framing) = try head(from: &bytes) else { return nil }
            body = HTTP1BodyReader(framing)
            return .head(head)
        }
        let piece = try reader.next(from: &bytes)
        body = reader  // it may have read a chunk's size or trailers before running out
        switch piece {
        case .data(let data)?:
            return .body(data)
        case .end?:
            body = nil
            return .end
        case nil:
            return nil
        }
    }

    /// The head and its body's framing, once all of it is read (consumed from `bytes`).
    private mutating func head(
        from bytes: inout ByteBuffer
    ) throws(HTTP1ParseError) -> (ClientRequestHead, HTTP1Framing)? {
        // Empty lines before the request line.
        while bytes.readableBytes >= 2, bytes.getInteger(at: bytes.readerIndex, as: UInt16.self) == 0x0D0A {
            bytes.moveReaderIndex(forwardBy: 2)
            headSearched = 0
        }
        let parsed = try bytes.withUnsafeReadableBytes {
            raw throws(HTTP1ParseError) -> (Int, ClientRequestHead, HTTP1Framing)? in
            guard let end = try HTTP1Syntax.headEnd(in: raw, searched: &headSearched) else { return nil }
            let (head, framing) = try Self.parseHead(UnsafeRawBufferPointer(rebasing: raw[..<(end + 2)]))
            return (end + 4, head, framing)
        }
        guard let (length, head, framing) = parsed else { return nil }
        bytes.moveReaderIndex(forwardBy: length)
        return (head, framing)
    }

    /// The request line and fields, each line ending in CRLF.
    private static func parseHead(
        _ text: UnsafeRawBufferPointer
    ) throws(HTTP1ParseError) -> (ClientRequestHead, HTTP1Framing) {
        guard let lineEnd = text.firstIndex(of: 0x0D), text[lineEnd + 1] == 0x0A else { throw .invalidStartLine }
        let (method, target, minorVersion) = try parseRequestLine(UnsafeRawBufferPointer(rebasing: text[..<lineEnd]))
        var builder = ClientRequestHeadBuilder()
        var framing = HTTP1FramingFields()
        try HTTP1Syntax.fields(of: text, from: lineEnd + 2) { name, value in
            framing.note(name: name, value: value)
            builder.append(name: name, value: value)
        }
        guard framing.hosts == 1 || (framing.hosts == 0 && minorVersion == 0) else { throw .invalidHost }
        guard
            let head = builder.head(
                method: method, target: target, minorVersion: minorVersion,
                keepAlive: framing.keepAlive(minorVersion: minorVersion))
        else { throw .invalidStartLine }
        if framing.transferEncoding {
            guard framing.chunked, framing.contentLength == nil, !framing.invalidLength, minorVersion == 1 else {
                throw .invalidFraming
            }
            return (head, .chunked)
        }
        guard !framing.invalidLength, !framing.repeatedLength else { throw .invalidLength }
        return (head, .length(framing.contentLength ?? 0))
    }

    /// `method SP request-target SP HTTP/1.x`.
    private static func parseRequestLine(
        _ line: UnsafeRawBufferPointer
    ) throws(HTTP1ParseError) -> (method: UnsafeRawBufferPointer, target: UnsafeRawBufferPointer, minorVersion: UInt8) {
        let isTokenByte = HTTPFieldBytes.isTokenByte
        var index = 0
        while index < line.count, isTokenByte[Int(line[index])] { index += 1 }
        let methodEnd = index
        guard methodEnd > 0, index < line.count, line[index] == 0x20 else { throw .invalidStartLine }
        index += 1
        let targetStart = index
        // Visible ASCII and bytes past it; no space or control byte.
        while index < line.count, line[index] > 0x20, line[index] != 0x7F { index += 1 }
        let targetEnd = index
        guard targetEnd > targetStart, line.count - index == 9, line[index] == 0x20,
            let minorVersion = HTTP1Syntax.minorVersion(in: line, at: index + 1)
        else { throw .invalidStartLine }
        return (
            UnsafeRawBufferPointer(rebasing: line[..<methodEnd]),
            UnsafeRawBufferPointer(rebasing: line[targetStart..<targetEnd]), minorVersion
        )
    }
}
