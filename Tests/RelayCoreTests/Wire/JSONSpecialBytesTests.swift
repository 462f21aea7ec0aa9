import Testing

@testable import RelayCore
@testable import RelayWire

/// The word-at-a-time scan finds the same first byte as a byte-by-byte one.
struct JSONSpecialBytesTests {
    private func naive(_ bytes: [UInt8], from start: Int) -> Int {
        bytes[start...].firstIndex { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 < 0x20 } ?? bytes.count
    }

    private func scanned(_ bytes: [UInt8], from start: Int) -> Int {
        bytes.withUnsafeBufferPointer { JSONSpecialBytes.first(in: $0, from: start, to: bytes.count) }
    }

    @Test func findsEachSpecialByteAtEveryPosition() {
        let specials: [UInt8] = [UInt8(ascii: "\""), UInt8(ascii: "\\"), 0x00, 0x0A, 0x1F]
        // Bytes next to the specials in value (and UTF-8 bytes with the high bit) must not match.
        let plain: [UInt8] = [0x20, 0x21, 0x23, 0x5B, 0x5D, 0x7F, 0x80, 0xA2, 0xDC, 0xFF, UInt8(ascii: "a")]
        for length in 0..<40 {
            let text = (0..<length).map { plain[$0 % plain.count] }
            #expect(scanned(text, from: 0) == length)
            for position in 0..<length {
                for special in specials {
                    var withSpecial = text
                    withSpecial[position] = special
                    for start in 0...position {
                        #expect(scanned(withSpecial, from: start) == naive(withSpecial, from: start))
                    }
                }
            }
        }
    }

    @Test func agreesWithAByteByByteScanOnRandomBytes() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let bytes = RandomText.bytes(fewerThan: 64, using: &generator)
            let start = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &generator)
            #expect(scanned(bytes, from: start) == naive(bytes, from: start))
        }
    }
}
