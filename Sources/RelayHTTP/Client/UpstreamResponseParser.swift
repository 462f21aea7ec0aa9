import NIOCore
import RelayWire

/// Reads a backend's HTTP/1.1 answers from its connection's bytes: the head's status and
/// fields, then the body as slices of the bytes read (never copied), framed by `Content-Length`,
/// the chunked coding, or the connection's close (RFC 9112 §6.3).
///
/// It runs inside the connection's one handler (`UpstreamConnectionHandler`), which hands the
/// parts straight to the call's exchange: no part goes on through the pipeline.
///
/// ```swift
/// parser.expectAnswer(toHEAD: false)     // before each request is sent
/// parser.read(buffer)                    // each read from the socket
/// while let part = try parser.next() { … }  // .head, then .body slices, then .end
/// ```
struct UpstreamResponseParser {
    enum Part {
        case head(UpstreamResponseHead)
        case body(ByteBuffer)
        case end
    }

    private enum State {
        /// No request is waiting for its answer: bytes now belong to nothing.
        case idle
        /// Waiting for the final head; an answer to `HEAD` has no body whatever its fields say.
        case head(bodiless: Bool)
        case body(HTTP1BodyReader)
    }

    private var state = State.idle
    private var unread = UnreadBytes()
    /// How much of a head arriving in pieces was already searched for its end: each piece is
    /// searched once, however slowly a backend trickles its head.
    private var headSearched = 0

    /// A request went out: its answer's bytes come next.
    mutating func expectAnswer(toHEAD: Bool) {
        state = .head(bodiless: toHEAD)
        headSearched = 0
    }

    /// The answer so far ends at the connection's close: its body has no length.
    var endsAtClose: Bool {
        if case .body(let reader) = state { return reader.endsAtClose }
        return false
    }

    mutating func read(_ buffer: ByteBuffer) {
        unread.append(buffer)
    }

    /// The next part of the answer, or `nil` until more bytes are read.
    package mutating func next() throws(HTTP1ParseError) -> Part? {
        while true {
            var bytes = unread.take()
            defer { unread.putBack(bytes) }
            switch state {
            case .idle:
                guard bytes.readableBytes == 0 else { throw .unexpectedBytes }
                return nil
            case .head(let bodiless):
                guard let head = try Self.head(from: &bytes, searched: &headSearched) else { return nil }
                if head.status < 200 { continue }  // 1xx: interim, the final head follows
                let noBody = bodiless || head.status == 204 || head.status == 304
                state = .body(noBody ? .empty : HTTP1BodyReader(head.framing))
                return .head(head)
            case .body(var reader):
                let piece = try reader.next(from: &bytes)
                state = .body(reader)  // it may have read a chunk's size or trailers before running out
                switch piece {
                case .data(let data)?:
                    return .body(data)
                case .end?:
                    state = .idle
                    return .end
                case nil:
                    return nil
                }
            }
        }
    }

    /// The head, once all of it is read (consumed from `bytes`); `nil` until then.
    private static func head(
        from bytes: inout ByteBuffer,
        searched: inout Int
    ) throws(HTTP1ParseError) -> UpstreamResponseHead? {
        let parsed = try bytes.withUnsafeReadableBytes { raw throws(HTTP1ParseError) -> (Int, UpstreamResponseHead)? in
            guard let end = try HTTP1Syntax.headEnd(in: raw, searched: &searched) else { return nil }
            return (end + 4, try parseHead(UnsafeRawBufferPointer(rebasing: raw[..<(end + 2)])))
        }
        guard let (length, parsedHead) = parsed else { return nil }
        var head = parsedHead
        head.fields.bytes = bytes.readSlice(length: length)!
        return head
    }

    /// The status line and fields, each line ending in CRLF.
    private static func parseHead(_ text: UnsafeRawBufferPointer) throws(HTTP1ParseError) -> UpstreamResponseHead {
        guard let statusEnd = text.firstIndex(of: 0x0D), text[statusEnd + 1] == 0x0A else { throw .invalidStartLine }
        let (minorVersion, status) = try parseStatusLine(UnsafeRawBufferPointer(rebasing: text[..<statusEnd]))
        var head = UpstreamResponseHead(status: status)
        var framing = HTTP1FramingFields()
        try HTTP1Syntax.fields(of: text, from: statusEnd + 2) { name, value in
            framing.note(name: name, value: value)
            head.fields.append(name: name, value: value, in: text)
        }
        // Equal repeated lengths are one length (RFC 9110 §8.6); `Transfer-Encoding` wins over
        // `Content-Length` (RFC 9112 §6.3).
        if framing.invalidLength, !framing.transferEncoding { throw .invalidLength }
        if framing.transferEncoding {
            head.framing = framing.chunked ? .chunked : .untilClose
        } else {
            head.framing = framing.contentLength.map { .length($0) } ?? .untilClose
        }
        // An answer framed both ways may have been smuggled past a proxy: its connection is not
        // reused.
        let framedTwice = framing.transferEncoding && (framing.contentLength != nil || framing.invalidLength)
        head.keepAlive = framing.keepAlive(minorVersion: minorVersion) && !framedTwice && head.framing != .untilClose
        return head
    }

    /// `HTTP/1.x SSS[ reason]`.
    private static func parseStatusLine(
        _ line: UnsafeRawBufferPointer
    ) throws(HTTP1ParseError) -> (minorVersion: UInt8, status: Int) {
        guard line.count >= 12, let minorVersion = HTTP1Syntax.minorVersion(in: line, at: 0),
            line[8] == 0x20, line[9..<12].allSatisfy(HTTP1Syntax.isDigit),
            line.count == 12 || line[12] == 0x20, line[12...].allSatisfy(HTTP1Syntax.isFieldValueByte)
        else { throw .invalidStartLine }
        let status = line[9..<12].reduce(0) { $0 * 10 + Int($1 - 0x30) }
        // 101 switches protocols, which Relay never asks for: what follows is not HTTP/1.1.
        guard status >= 100, status != 101 else { throw .invalidStartLine }
        return (minorVersion, status)
    }
}

/// An answer's head as a backend sent it.
struct UpstreamResponseHead {
    var status: Int
    /// In the order and spelling they came, framing fields included.
    var fields = HeadFields()
    var framing = HTTP1Framing.untilClose
    /// The connection may carry another request after this answer.
    package var keepAlive = false
}
