import NIOCore

/// How an HTTP/1.1 message's body is delimited (RFC 9112 §6).
package enum HTTP1Framing: Equatable {
    case length(Int)
    case chunked
    /// No length: the body ends when the peer closes the connection (answers only).
    case untilClose
}

/// Reads one message's body from the bytes after its head: slices of the bytes read (never
/// copied), then the end. The chunked coding's extensions and trailer fields are read past.
package struct HTTP1BodyReader {
    package enum Piece {
        case data(ByteBuffer)
        case end
    }

    private enum State {
        case fixed(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        /// The CRLF after a chunk's data.
        case chunkDataEnd
        case trailers(bytesSeen: Int)
        case untilClose
        case complete
    }

    private var state: State

    package init(_ framing: HTTP1Framing) {
        switch framing {
        case .length(0): state = .complete
        case .length(let length): state = .fixed(remaining: length)
        case .chunked: state = .chunkSize
        case .untilClose: state = .untilClose
        }
    }

    /// A body that has no bytes whatever the head says (an answer to `HEAD`, a 204 or a 304).
    package static let empty = HTTP1BodyReader(.length(0))

    /// The body so far ends at the connection's close.
    package var endsAtClose: Bool {
        if case .untilClose = state { return true }
        return false
    }

    /// The next piece, consumed from `bytes`; `nil` until more bytes are read.
    package mutating func next(from bytes: inout ByteBuffer) throws(HTTP1ParseError) -> Piece? {
        while true {
            switch state {
            case .fixed(let remaining):
                guard let (data, left) = Self.data(from: &bytes, upTo: remaining) else { return nil }
                state = left == 0 ? .complete : .fixed(remaining: left)
                return .data(data)
            case .chunkSize:
                let line = try bytes.withUnsafeReadableBytes { raw throws(HTTP1ParseError) in
                    try HTTP1Syntax.chunkSize(in: raw)
                }
                guard let line else { return nil }
                bytes.moveReaderIndex(forwardBy: line.lineLength)
                state = line.size == 0 ? .trailers(bytesSeen: 0) : .chunkData(remaining: line.size)
            case .chunkData(let remaining):
                guard let (data, left) = Self.data(from: &bytes, upTo: remaining) else { return nil }
                state = left == 0 ? .chunkDataEnd : .chunkData(remaining: left)
                return .data(data)
            case .chunkDataEnd:
                guard bytes.readableBytes >= 2 else { return nil }
                guard bytes.readInteger(as: UInt16.self) == 0x0D0A else { throw .invalidChunk }
                state = .chunkSize
            case .trailers(let bytesSeen):
                let limit = min(HTTP1Syntax.maxLineBytes, HTTP1Syntax.maxHeadBytes - bytesSeen)
                let length = try bytes.withUnsafeReadableBytes { raw throws(HTTP1ParseError) in
                    try HTTP1Syntax.lineEnd(in: raw, limit: limit)
                }
                guard let length else { return nil }
                bytes.moveReaderIndex(forwardBy: length + 2)
                state = length == 0 ? .complete : .trailers(bytesSeen: bytesSeen + length + 2)
            case .untilClose:
                guard bytes.readableBytes > 0 else { return nil }
                return .data(bytes.readSlice(length: bytes.readableBytes)!)
            case .complete:
                return .end
            }
        }
    }

    /// Up to `remaining` bytes of the body as a slice, and how many are left after it; `nil`
    /// when no byte is read yet.
    private static func data(from bytes: inout ByteBuffer, upTo remaining: Int) -> (ByteBuffer, left: Int)? {
        guard bytes.readableBytes > 0 else { return nil }
        let slice = bytes.readSlice(length: min(remaining, bytes.readableBytes))!
        return (slice, remaining - slice.readableBytes)
    }
}
