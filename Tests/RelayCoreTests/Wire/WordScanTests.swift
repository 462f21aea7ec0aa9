import Testing

@testable import RelayCore
@testable import RelayWire

/// The word-at-a-time tests of the heads' scans find the same first byte as a byte-by-byte one.
struct WordScanTests {
    /// A head's line end, and what a field value may not hold (control bytes but tab, DEL), as
    /// `HTTP1Syntax` scans for them.
    private static let scans: [(marks: @Sendable (UInt64) -> UInt64, matches: @Sendable (UInt8) -> Bool)] = [
        ({ WordScan.equal($0, 0x0D) }, { $0 == 0x0D }),
        ({ WordScan.below($0, 0x20) | WordScan.equal($0, 0x7F) }, { $0 < 0x20 || $0 == 0x7F }),
    ]

    private func scanned(_ bytes: [UInt8], from start: Int, _ scan: Int) -> Int {
        bytes.withUnsafeBytes {
            WordScan.first(
                in: $0, from: start, to: bytes.count, marks: Self.scans[scan].marks, matches: Self.scans[scan].matches)
        }
    }

    @Test func findsEachByteAtEveryPosition() {
        // The bytes found, and those next to them in value, which must not be.
        let found: [UInt8] = [0x0D, 0x00, 0x09, 0x0A, 0x1F, 0x7F]
        let plain: [UInt8] = [0x0C, 0x0E, 0x20, 0x21, 0x7E, 0x80, 0x8D, 0xFF, UInt8(ascii: "a")]
        for scan in Self.scans.indices {
            for length in 0..<24 {
                let text = (0..<length).map { index in
                    let byte = plain[index % plain.count]
                    return Self.scans[scan].matches(byte) ? UInt8(ascii: "a") : byte
                }
                #expect(scanned(text, from: 0, scan) == length)
                for position in 0..<length {
                    for byte in found {
                        var with = text
                        with[position] = byte
                        for start in 0...position {
                            let expected = with[start...].firstIndex(where: Self.scans[scan].matches) ?? with.count
                            #expect(scanned(with, from: start, scan) == expected)
                        }
                    }
                }
            }
        }
    }

    @Test func agreesWithAByteByByteScanOnRandomBytes() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<4000 {
            let bytes = RandomText.bytes(fewerThan: 48, using: &generator)
            let start = Int.random(in: 0...bytes.count, using: &generator)
            for scan in Self.scans.indices {
                let expected = bytes[start...].firstIndex(where: Self.scans[scan].matches) ?? bytes.count
                #expect(scanned(bytes, from: start, scan) == expected, "\(bytes) from \(start)")
            }
        }
    }
}
