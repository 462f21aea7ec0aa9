// The HTTP/1.1 request parser that reads every client connection.
//
// Network reads cut requests anywhere: what the parser makes of the bytes must not depend on
// where. The input is fed whole, a byte at a time, and in pieces whose lengths come from the
// input's own bytes, as pipelined requests on one connection; every feeding must give the same
// heads, the same body bytes and the same error, a body part is never empty, and no head comes
// before the last request's end.
import FuzzSupport
import HTTPTypes
import NIOCore

@testable import FuzzedWire
@testable import RelayWire

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPRequests(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let whole = read(bytes, cutEvery: [max(1, bytes.count)])
    let byteByByte = read(bytes, cutEvery: [1])
    if whole != byteByByte {
        fatalError("FuzzHTTPRequests: byte by byte gives \(byteByByte), whole gives \(whole)")
    }
    let lengths = pieceLengths(from: bytes)
    let pieces = read(bytes, cutEvery: lengths)
    if whole != pieces {
        fatalError("FuzzHTTPRequests: pieces \(lengths) give \(pieces), whole gives \(whole)")
    }
    return 0
}

/// What a feeding gave: each head, body and end as text, then the error if any.
private func read(_ bytes: UnsafeRawBufferPointer, cutEvery lengths: [Int]) -> PartsLog {
    var parser = HTTP1RequestParser()
    var log = PartsLog()
    var open = false
    do {
        try forEachPiece(of: bytes, cutEvery: lengths) { piece in
            parser.read(ByteBuffer(bytes: piece))
            while let part = try parser.next() {
                switch part {
                case .head(let head):
                    if open { fatalError("FuzzHTTPRequests: a head before the last request's end") }
                    open = true
                    let fields = head.headerFields.map { "\($0.name): \($0.value)" }
                    log.note(
                        "head \(head.method) \(head.path) \(head.authority ?? "") 1.\(head.minorVersion) "
                            + "\(head.keepAlive) \(fields)")
                case .body(let buffer):
                    if buffer.readableBytes == 0 || !open {
                        fatalError("FuzzHTTPRequests: an empty or stray body part")
                    }
                    log.noteBody(buffer.readableBytesView)
                case .end:
                    if !open { fatalError("FuzzHTTPRequests: an end without a head") }
                    open = false
                    log.note("end")
                }
            }
        }
        log.flushBody()
    } catch {
        log.note("error \(error)")
    }
    return log
}
