import NIOCore
import RelayRedis
import RelayTestSupport
import Testing

/// The in-place paths: arguments written straight to bytes, replies measured without being
/// built and read without `RESPValue`s, each held to the path it stands in for.
@Suite struct RESPInPlaceTests {
    /// The bytes `RESPCommandEncoder` writes for arguments given as strings, the way commands
    /// were encoded before they were written in place.
    static func encodedAsStrings(_ arguments: [String]) -> ByteBuffer {
        var buffer = ByteBuffer()
        for argument in arguments {
            buffer.writeString("$\(argument.utf8.count)\r\n\(argument)\r\n")
        }
        return buffer
    }

    @Test func argumentsAreWrittenAsTheirStringsWouldBe() {
        var generator = SystemRandomNumberGenerator()
        let edges: [Int64] = [0, 1, -1, 9, 10, -10, 99, 100, .max, .min, .max - 1, .min + 1]
        for round in 0..<2000 {
            var arguments = RESPArguments(capacity: round % 3 == 0 ? 0 : 64)
            var strings: [String] = []
            for _ in 0..<Int.random(in: 0...12, using: &generator) {
                switch Int.random(in: 0..<4, using: &generator) {
                case 0:
                    let number = edges.randomElement(using: &generator)!
                    arguments.append(number)
                    strings.append(String(number))
                case 1:
                    let number = Int64.random(in: .min ... .max, using: &generator) >> Int64.random(in: 0...63)
                    arguments.append(number)
                    strings.append(String(number))
                case 2:
                    let number = Int.random(in: -1...300, using: &generator)
                    arguments.append(number)
                    strings.append(String(number))
                default:
                    let text = ["", "r", "relay:rl:{dev}:rpm", "héllo\r\n", String(repeating: "x", count: 300)]
                        .randomElement(using: &generator)!
                    arguments.append(text)
                    strings.append(text)
                }
            }
            #expect(arguments.count == strings.count)
            #expect(arguments.bytes == Self.encodedAsStrings(strings), "\(strings)")
        }
    }

    @Test func theLengthOfAValueAgreesWithParsingIt() {
        var generator = SystemRandomNumberGenerator()
        var limits = RESPParser.Limits()
        limits.maxLineLength = 24
        limits.maxBulkLength = 20
        limits.maxArrayCount = 3
        limits.maxDepth = 2
        for parser in [RESPParser(), RESPParser(limits: limits)] {
            for round in 0..<4000 {
                var bytes = Array(RESPValue.random(using: &generator, depth: 3).bytes.readableBytesView)
                bytes += Array(":7\r\n".utf8)
                switch round % 4 {
                case 0: break
                case 1: bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &generator)))
                case 2:
                    let index = Int.random(in: 0..<bytes.count, using: &generator)
                    bytes[index] = Array("+-:$*\r\n0123456789a".utf8).randomElement(using: &generator)!
                default:
                    bytes.remove(at: Int.random(in: 0..<bytes.count, using: &generator))
                }
                let buffer = ByteBuffer(bytes: bytes)
                var consumed = buffer
                let parsed = Result { () throws(RESPDecodingError) in try parser.parse(&consumed) }
                let measured = Result { () throws(RESPDecodingError) in try parser.length(ofValueIn: buffer) }
                switch (parsed, measured) {
                case (.success(nil), .success(nil)): break
                case (.success(.some(_)), .success(.some(let length))):
                    #expect(length == buffer.readableBytes - consumed.readableBytes, "\(bytes)")
                case (.failure(let parseError), .failure(let lengthError)):
                    #expect(parseError == lengthError, "\(bytes)")
                default:
                    Issue.record("parse \(parsed) but length \(measured) for \(bytes)")
                }
            }
        }
    }

    @Test func theReaderReadsWhatTheParsedValueHolds() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            let value = RESPValue.random(using: &generator, depth: 2)
            let bytes = value.bytes
            #expect(try RESPValue(reply: bytes) == value)

            var reader = RESPReader(bytes)
            #expect(reader.readInteger() == value.integer, "\(value)")
            reader = RESPReader(bytes)
            let error: String? = if case .error(let message) = value { message } else { nil }
            #expect(reader.readError() == error)
            reader = RESPReader(bytes)
            #expect(reader.readArrayCount() == value.array?.count)
            // The elements of an array of scalars, in turn, then nothing left.
            guard let elements = value.array, elements.allSatisfy({ $0.array == nil && $0.integer != nil }) else {
                continue
            }
            let read = elements.map { _ in reader.readInteger() }
            #expect(read == elements.map(\.integer))
            #expect(reader.isAtEnd)
        }
    }

    @Test func aReadThatFindsSomethingElseConsumesNothing() {
        var reader = RESPReader(ByteBuffer(string: "*2\r\n$2\r\nab\r\n:5\r\n"))
        #expect(reader.readInteger() == nil)
        #expect(reader.readError() == nil)
        #expect(reader.readArrayCount() == 2)
        #expect(reader.readArrayCount() == nil)
        #expect(reader.readInteger() == nil, "not a number")
        #expect(!reader.isAtEnd)
        var broken = RESPReader(ByteBuffer(string: ":12\rX"))
        #expect(broken.readInteger() == nil)
        var short = RESPReader(ByteBuffer(string: "$5\r\n12\r\n"))
        #expect(short.readInteger() == nil)
    }
}
