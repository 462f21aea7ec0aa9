import Testing

@testable import RelayCore
@testable import RelayWire

@Suite struct RawByteWriterTests {
    @Test(arguments: [0, 7, 10, 1_234_567_890, -42, Int.max, Int.min])
    func writesDecimalsAsSwiftDoes(value: Int) {
        #expect(RawByteWriter.text { $0.putDecimal(value) } == String(value))
    }

    @Test func writesEveryNumberOfDigitsAsSwiftDoes() {
        var power = 1
        for exponent in 0...18 {
            for value in [power - 1, power, power + 1, 2 * power, 9 * power] {
                #expect(RawByteWriter.text { $0.putDecimal(value) } == String(value))
                #expect(RawByteWriter.text { $0.putDecimal(-value) } == String(-value))
            }
            if exponent < 18 { power *= 10 }
        }
        for value in 0..<1_000 {
            #expect(
                RawByteWriter.text { $0.putDecimal(value, digits: 4) } == String(
                    repeating: "0", count: 4 - String(value).count) + String(value))
        }
    }

    @Test func padsToTheDigitsAsked() {
        #expect(RawByteWriter.text { $0.putDecimal(5, digits: 3) } == "005")
        #expect(RawByteWriter.text { $0.putDecimal(50, digits: 2) } == "50")
        #expect(RawByteWriter.text { $0.putDecimal(1234, digits: 2) } == "1234")
    }

    @Test func joinsWhatItPuts() {
        let text = RawByteWriter.text { writer in
            writer.put("x-")
            writer.putDecimal(12)
            writer.put(byte: UInt8(ascii: "/"))
            writer.putHex(255)
        }
        #expect(text == "x-12/ff")
    }

    @Test func copiesPartsOfEveryLengthExactlyAndNothingPastThem() {
        let source = (0..<40).map { UInt8($0 + 1) }
        for offset in 0..<3 {
            for count in 0...37 {
                var room = [UInt8](repeating: 0xEE, count: 48)
                let at = room.withUnsafeMutableBytes { out in
                    var writer = RawByteWriter(out: out)
                    writer.at = offset
                    source.withUnsafeBytes {
                        writer.put(UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + count)]))
                    }
                    return writer.at
                }
                #expect(at == offset + count)
                #expect(Array(room[offset..<at]) == Array(source[offset..<(offset + count)]), "\(count) from \(offset)")
                #expect(room[..<offset].allSatisfy { $0 == 0xEE } && room[at...].allSatisfy { $0 == 0xEE })
            }
        }
    }
}
