/// The pieces of HTTP/1.1's syntax (RFC 9112) that both of Relay's parsers read: a head's end,
/// its field lines, and the lines of the chunked coding. Lines end in CRLF; a lone CR or LF, a
/// folded line or a space before a field's colon is refused, never guessed at.
package enum HTTP1Syntax {
    /// A head larger than this is refused (NIO's decoder has the same limit).
    static let maxHeadBytes = 80 * 1024
    /// A chunk-size line (extensions included) or a trailer line longer than this is refused.
    static let maxLineBytes = 4 * 1024

    /// Where the closing CRLF CRLF of a head arriving in pieces starts. `searched` is how much of
    /// it is known not to hold the end, so each piece is searched once however slowly the head
    /// trickles in; it is 0 again once the end is found. More than `maxHeadBytes` without the
    /// end is refused, and so is a line ending in a bare LF as soon as it arrives (a head that
    /// uses them would otherwise never end).
    package static func headEnd(in bytes: UnsafeRawBufferPointer, searched: inout Int) throws(HTTP1ParseError) -> Int? {
        guard let end = try headEnd(in: bytes, from: max(0, searched - 3)) else {
            if bytes.count > maxHeadBytes { throw .headTooLarge }
            searched = bytes.count
            return nil
        }
        guard end <= maxHeadBytes else { throw .headTooLarge }
        searched = 0
        return end
    }

    /// Goes from line end to line end: each LF must follow a CR, and the head ends at the first
    /// CRLF followed by another.
    private static func headEnd(in bytes: UnsafeRawBufferPointer, from start: Int) throws(HTTP1ParseError) -> Int? {
        var index = start
        while index < bytes.count {
            let lf = WordScan.first(
                in: bytes, from: index, to: bytes.count, marks: { WordScan.equal($0, 0x0A) },
                matches: { $0 == 0x0A })
            guard lf < bytes.count else { return nil }
            guard lf > 0, bytes[lf - 1] == 0x0D else { throw .bareLineFeed }
            if lf + 2 < bytes.count, bytes[lf + 1] == 0x0D, bytes[lf + 2] == 0x0A { return lf - 1 }
            index = lf + 1
        }
        return nil
    }

    /// Reads the field lines of `text` from `start` (a value eight bytes at a time), handing each
    /// name and value (without the whitespace around it) to `field`. `text` ends with its last
    /// line's CRLF, so every line found ends in one.
    package static func fields(
        of text: UnsafeRawBufferPointer,
        from start: Int,
        _ field: (_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws(HTTP1ParseError) -> Void
    ) throws(HTTP1ParseError) {
        let isTokenByte = HTTPFieldBytes.isTokenByte
        var index = start
        while index < text.count {
            let nameStart = index
            while isTokenByte[Int(text[index])] { index += 1 }
            guard index > nameStart, text[index] == UInt8(ascii: ":") else { throw .invalidField }
            let name = UnsafeRawBufferPointer(rebasing: text[nameStart..<index])
            index += 1
            while isSpace(text[index]) { index += 1 }
            let valueStart = index
            // To the first control byte: the line's CR, unless the value holds a tab (allowed)
            // or a byte it may not hold.
            while true {
                index = WordScan.first(
                    in: text, from: index, to: text.count,
                    marks: { WordScan.below($0, 0x20) | WordScan.equal($0, 0x7F) },
                    matches: { $0 < 0x20 || $0 == 0x7F })
                guard index < text.count, text[index] == 0x09 || text[index] == 0x0D else { throw .invalidField }
                if text[index] == 0x0D { break }
                index += 1
            }
            var valueEnd = index
            while valueEnd > valueStart, isSpace(text[valueEnd - 1]) { valueEnd -= 1 }
            guard text[index + 1] == 0x0A else { throw .invalidField }
            index += 2
            try field(name, UnsafeRawBufferPointer(rebasing: text[valueStart..<valueEnd]))
        }
    }

    /// A chunk's size from its line (extensions read past) and the line's length with its CRLF,
    /// once the line is read; `nil` until then.
    static func chunkSize(in bytes: UnsafeRawBufferPointer) throws(HTTP1ParseError) -> (size: Int, lineLength: Int)? {
        guard let cr = try lineEnd(in: bytes, limit: maxLineBytes) else { return nil }
        var size = 0
        var index = 0
        while index < cr, let digit = hexValue(bytes[index]) {
            // Fifteen hex digits are past any length a buffer could hold.
            guard index < 15 else { throw .invalidChunk }
            size = size << 4 | digit
            index += 1
        }
        guard index > 0 else { throw .invalidChunk }
        // chunk-ext: `*( BWS ";" … )`.
        while index < cr, isSpace(bytes[index]) { index += 1 }
        guard index == cr || bytes[index] == UInt8(ascii: ";") else { throw .invalidChunk }
        return (size, cr + 2)
    }

    /// Where the first line's CRLF starts, if it is all read. A line of the chunked coding (a
    /// size or a trailer) longer than `limit` or holding a control byte (a lone CR or LF
    /// included) is malformed.
    static func lineEnd(in bytes: UnsafeRawBufferPointer, limit: Int) throws(HTTP1ParseError) -> Int? {
        let searched = bytes.prefix(max(0, limit) + 1)
        guard let cr = searched.firstIndex(where: { !isFieldValueByte($0) }) else {
            if searched.count > limit { throw .invalidChunk }
            return nil
        }
        guard searched[cr] == 0x0D else { throw .invalidChunk }
        guard cr + 1 < bytes.count else { return nil }
        guard bytes[cr + 1] == 0x0A else { throw .invalidChunk }
        return cr
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    /// The minor version of the `HTTP/1.0` or `HTTP/1.1` in the eight bytes at `offset`, `nil`
    /// for anything else: one comparison of a word, not eight of bytes.
    package static func minorVersion(in bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt8? {
        precondition(offset >= 0 && offset + 8 <= bytes.count, "fewer than eight bytes for a version")
        let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        // `HTTP/1.` read little-endian, then the minor version in the top byte.
        guard word & 0x00FF_FFFF_FFFF_FFFF == 0x002E_312F_5054_5448 else { return nil }
        let minor = UInt8(word >> 56)
        return minor == 0x30 || minor == 0x31 ? minor - 0x30 : nil
    }

    /// What a field value, reason phrase or chunk extension may hold: visible characters,
    /// spaces, tabs and bytes past ASCII.
    package static func isFieldValueByte(_ byte: UInt8) -> Bool {
        byte == 0x09 || (byte >= 0x20 && byte != 0x7F)
    }

    static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    package static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
}

/// Why bytes could not be read as HTTP/1.1; the connection closes.
package enum HTTP1ParseError: Error, CustomStringConvertible {
    case invalidStartLine
    case invalidField
    case headTooLarge
    /// A `Content-Length` that is not a number, or given twice with different values (or, in a
    /// request, twice at all).
    case invalidLength
    /// A request's `Transfer-Encoding` that does not end in chunked, comes with a
    /// `Content-Length`, or is in an HTTP/1.0 request.
    case invalidFraming
    case invalidChunk
    /// Bytes arrived while no request was waiting for an answer.
    case unexpectedBytes
    /// A line of a head ends in an LF with no CR before it.
    case bareLineFeed
    /// An HTTP/1.1 request without a `Host` field, or any request with more than one (RFC 9112
    /// §3.2).
    case invalidHost

    package var description: String {
        switch self {
        case .invalidStartLine: "a start line that is not HTTP/1.1"
        case .invalidField: "a malformed header field"
        case .headTooLarge: "a head larger than \(HTTP1Syntax.maxHeadBytes / 1024) KiB"
        case .invalidLength: "an invalid Content-Length, or two different ones"
        case .invalidFraming: "a Transfer-Encoding that does not end in chunked, or comes with a Content-Length"
        case .invalidChunk: "a malformed chunked body"
        case .unexpectedBytes: "bytes no request asked for"
        case .bareLineFeed: "a line ending in a bare LF"
        case .invalidHost: "no Host field, or more than one"
        }
    }
}
