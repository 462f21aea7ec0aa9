import NIOCore

/// Cuts the bytes of a Redis connection into replies: each one the bytes of one whole RESP
/// value, checked by `RESPParser` but not built, so that a caller reads what it needs in place
/// (`RESPReader`) or builds a `RESPValue` (`RESPValue(reply:)`).
///
/// Bytes stay in the decoder's buffer until a whole value has arrived; a malformed reply fails
/// the pipeline with a `RESPDecodingError`, which closes the connection.
public struct RESPDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    private let parser: RESPParser

    public init(limits: RESPParser.Limits = RESPParser.Limits()) {
        self.parser = RESPParser(limits: limits)
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = try parser.length(ofValueIn: buffer), let reply = buffer.readSlice(length: length) else {
            return .needMoreData
        }
        context.fireChannelRead(Self.wrapInboundOut(reply))
        return .continue
    }

    public mutating func decodeLast(
        context: ChannelHandlerContext,
        buffer: inout ByteBuffer,
        seenEOF: Bool
    ) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }
}
