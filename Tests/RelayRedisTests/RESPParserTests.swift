import NIOCore
import NIOEmbedded
import RelayRedis
import Testing

@Suite struct RESPParserTests {
    static let replies: [(bytes: String, value: RESPValue)] = [
        ("+OK\r\n", .simpleString("OK")),
        ("+\r\n", .simpleString("")),
        ("-ERR unknown command\r\n", .error("ERR unknown command")),
        (":0\r\n", .integer(0)),
        (":-42\r\n", .integer(-42)),
        (":9223372036854775807\r\n", .integer(.max)),
        ("$5\r\nhello\r\n", .bulkString(ByteBuffer(string: "hello"))),
        ("$0\r\n\r\n", .bulkString(ByteBuffer())),
        ("$4\r\na\r\nb\r\n", .bulkString(ByteBuffer(string: "a\r\nb"))),
        ("$-1\r\n", .null),
        ("*-1\r\n", .null),
        ("*0\r\n", .array([])),
        (
            "*3\r\n:1\r\n$3\r\nfoo\r\n*2\r\n+in\r\n$-1\r\n",
            .array([.integer(1), .bulkString(ByteBuffer(string: "foo")), .array([.simpleString("in"), .null])])
        ),
        ("*2\r\n-NOSCRIPT no\r\n*0\r\n", .array([.error("NOSCRIPT no"), .array([])])),
    ]

    @Test(arguments: replies.indices)
    func parsesEveryTypeSplitAtEveryByte(index: Int) throws {
        let (text, expected) = Self.replies[index]
        let bytes = Array(text.utf8)
        let parser = RESPParser()
        for split in 0..<bytes.count {
            var buffer = ByteBuffer(bytes: bytes[..<split])
            #expect(try parser.parse(&buffer) == nil, "a reply cut after \(split) bytes is not whole yet")
            #expect(buffer.readableBytes == split, "nothing is consumed from an incomplete reply")
            buffer.writeBytes(bytes[split...])
            #expect(try parser.parse(&buffer) == expected)
            #expect(buffer.readableBytes == 0)
        }
    }

    @Test func decoderHandsOnRepliesFedOneByteAtATime() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(RESPDecoder()))
        let stream = Self.replies.map(\.bytes).joined()
        for byte in stream.utf8 {
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
        }
        var replies: [ByteBuffer] = []
        while let reply = try channel.readInbound(as: ByteBuffer.self) { replies.append(reply) }
        #expect(replies == Self.replies.map { ByteBuffer(string: $0.bytes) })
        #expect(try replies.map { try RESPValue(reply: $0) } == Self.replies.map(\.value))
        _ = try channel.finish()
    }

    @Test func decoderReadsManyRepliesFromOneRead() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(RESPDecoder()))
        try channel.writeInbound(ByteBuffer(string: ":1\r\n:2\r\n+three\r\n$1"))
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(string: ":1\r\n"))
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(string: ":2\r\n"))
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(string: "+three\r\n"))
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil)
        try channel.writeInbound(ByteBuffer(string: "\r\n4\r\n"))
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(string: "$1\r\n4\r\n"))
        _ = try channel.finish()
    }

    @Test(arguments: [
        ("!oops\r\n", RESPDecodingError.unknownType(UInt8(ascii: "!"))),
        (":12a\r\n", .invalidNumber),
        (":\r\n", .invalidNumber),
        (":99999999999999999999999\r\n", .invalidNumber),
        ("$abc\r\n", .invalidNumber),
        ("$-2\r\n", .invalidNumber),
        ("*-7\r\n", .invalidNumber),
        ("$3\r\nfooXY", .missingTerminator),
        ("+OK\rX", .missingTerminator),
        ("$999999999999\r\n", .tooLarge),
        ("*99999999999\r\n", .tooLarge),
    ])
    func malformedInputIsAnErrorNotACrash(text: String, expected: RESPDecodingError) {
        var buffer = ByteBuffer(string: text)
        #expect(throws: expected) { try RESPParser().parse(&buffer) }
    }

    @Test func limitsAreEnforced() {
        var limits = RESPParser.Limits()
        limits.maxLineLength = 8
        limits.maxDepth = 3
        limits.maxBulkLength = 4
        let parser = RESPParser(limits: limits)
        var longLine = ByteBuffer(string: "+0123456789abcdef")
        #expect(throws: RESPDecodingError.tooLarge) { try parser.parse(&longLine) }
        var deep = ByteBuffer(string: "*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n")
        #expect(throws: RESPDecodingError.tooDeeplyNested) { try parser.parse(&deep) }
        var bulk = ByteBuffer(string: "$5\r\n")
        #expect(throws: RESPDecodingError.tooLarge) { try parser.parse(&bulk) }
    }

    @Test func aMalformedReplyFailsTheChannel() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(RESPDecoder()))
        #expect(throws: RESPDecodingError.unknownType(UInt8(ascii: "?"))) {
            try channel.writeInbound(ByteBuffer(string: "?\r\n"))
        }
        _ = try? channel.finish()
    }

    @Test func randomBytesNeverCrashTheParser() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("+-:$*\r\n0123456789-abc".utf8)
        for _ in 0..<5000 {
            let length = Int.random(in: 0..<40, using: &generator)
            var buffer = ByteBuffer(bytes: (0..<length).map { _ in alphabet.randomElement(using: &generator) ?? 0 })
            _ = try? RESPParser().parse(&buffer)
        }
    }
}
