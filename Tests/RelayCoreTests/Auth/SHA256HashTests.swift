import Crypto
import Testing

@testable import RelayCore

@Suite("SHA-256")
struct SHA256HashTests {
    func hex(_ bytes: [UInt8]) -> String { bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() }

    func digest(_ message: [UInt8]) -> [UInt8] { message.withUnsafeBytes { SHA256Hash.digest(of: $0) } }

    /// NIST's examples for SHA-256 (FIPS 180-4, "Examples with intermediate values"): one block,
    /// a 448-bit message whose padding needs a second block, and a two-block 896-bit message.
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
        (
            "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
        ),
    ])
    func nistExamples(message: String, expected: String) {
        #expect(hex(digest(Array(message.utf8))) == expected)
    }

    @Test func aMillionLetterAs() {
        let message = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(hex(digest(message)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Every padding case (the message's last block empty, short, too full for the length, whole)
    /// across several blocks, also from an odd address, against swift-crypto's SHA-256.
    @Test func matchesSwiftCryptoAtEveryLengthUpTo300() {
        var generator = SystemRandomNumberGenerator()
        for length in 0...300 {
            let buffer = (0...length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let message = Array(buffer.dropFirst())
            let expected = Array(Crypto.SHA256.hash(data: message))
            #expect(digest(message) == expected, "\(length) bytes: \(hex(message))")
            let unaligned = buffer.withUnsafeBytes { SHA256Hash.digest(of: UnsafeRawBufferPointer(rebasing: $0[1...])) }
            #expect(unaligned == expected, "\(length) bytes at an odd address: \(hex(message))")
        }
    }

    @Test func keyDigestsAndConfigHashesAreTheKeysSHA256() {
        let key = "rk-" + String(repeating: "x", count: 48)
        let expected = Array(Crypto.SHA256.hash(data: Array(key.utf8)))
        #expect(KeyDigest(of: Array(key.utf8)).bytes == expected)
        var text = key
        #expect(text.withUTF8 { KeyDigest(of: UnsafeRawBufferPointer($0)) }.bytes == expected)
        #expect(KeyHashText.sha256(of: key) == "sha256:" + hex(expected))
    }
}
