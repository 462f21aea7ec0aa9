import NIOCore

/// Turns the bytes of a Redis connection into RESP values, one per reply.
///
/// Bytes stay in the decoder's buffer until a whole value has arrived; a malformed reply fails
/// the pipeline with a `RESPDecodingError`, which closes the connection.
public struct RESPDecoder: ByteToMessageDecoder {
    public typealias InboundOut = RESPValue

    private let parser: RESPParser

    public init(limits: RESPParser.Limits = RESPParser.Limits()) {
        self.parser = RESPParser(limits: limits)
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let value = try parser.parse(&buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(value))
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
