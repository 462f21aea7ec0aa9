import Testing

@testable import RelayCore

@Suite struct RawByteWriterTests {
    @Test(arguments: [0, 7, 10, 1_234_567_890, -42, Int.max, Int.min])
    func writesDecimalsAsSwiftDoes(value: Int) {
        #expect(RawByteWriter.text { $0.putDecimal(value) } == String(value))
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
}
