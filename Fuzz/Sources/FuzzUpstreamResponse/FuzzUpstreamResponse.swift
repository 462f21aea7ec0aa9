import FuzzSupport
import NIOCore

// The HTTP/1.1 answer parser that reads every backend's answers.
//
// Network reads cut an answer anywhere: what the parser makes of the bytes must not depend on
// where. The input (after its first byte, which says whether the request was a HEAD) is fed
// whole, a byte at a time, and in pieces whose lengths come from the input's own bytes, as
// answers on one kept-alive connection; every feeding must give the same heads, the same body
// bytes and the same error, and a body part is never empty.
@testable import FuzzedWire
@testable import RelayWire

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzUpstreamResponse(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    guard let first = input.first else { return 0 }
    let toHEAD = first & 1 == 1
    let bytes = UnsafeRawBufferPointer(rebasing: input.dropFirst())
    let whole = read(bytes, toHEAD: toHEAD, cutEvery: [bytes.count])
    let byteByByte = read(bytes, toHEAD: toHEAD, cutEvery: [1])
    if whole != byteByByte {
        fatalError("FuzzUpstreamResponse: byte by byte gives \(byteByByte), whole gives \(whole)")
    }
    let lengths = pieceLengths(from: bytes)
    let pieces = read(bytes, toHEAD: toHEAD, cutEvery: lengths)
    if whole != pieces {
        fatalError("FuzzUpstreamResponse: pieces \(lengths) give \(pieces), whole gives \(whole)")
    }
    return 0
}

/// What a feeding gave: each head, body and end as text, then the error if any.
private func read(_ bytes: UnsafeRawBufferPointer, toHEAD: Bool, cutEvery lengths: [Int]) -> PartsLog {
    var parser = UpstreamResponseParser()
    parser.expectAnswer(toHEAD: toHEAD)
    var log = PartsLog()
    do {
        try forEachPiece(of: bytes, cutEvery: lengths) { piece in
            parser.read(ByteBuffer(bytes: piece))
            while let part = try parser.next() {
                switch part {
                case .head(let head):
                    let fields = head.fields.strings.map { "\($0.name): \($0.value)" }
                    log.note("head \(head.status) \(head.framing) \(head.keepAlive) \(fields)")
                case .body(let buffer):
                    if buffer.readableBytes == 0 { fatalError("FuzzUpstreamResponse: an empty body part") }
                    log.noteBody(buffer.readableBytesView)
                case .end:
                    log.note("end")
                    parser.expectAnswer(toHEAD: toHEAD)
                }
            }
        }
        log.note(parser.endsAtClose ? "ends at close" : "open")
    } catch {
        log.note("error \(error)")
    }
    return log
}
