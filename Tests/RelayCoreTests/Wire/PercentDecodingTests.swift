import RelayWire
import Testing

@Suite("Percent-decoding a model's name in a path")
struct PercentDecodingTests {
    @Test(arguments: [
        ("org%2Fmodel", "org/model"),
        ("org%2fmodel", "org/model"),
        ("llama3", "llama3"),
        ("a+b", "a+b"),
        ("%252F", "%2F"),
        ("caf%C3%A9", "café"),
        ("%e2%82%ac%F0%9F%99%82", "€🙂"),
        ("é%20x", "é x"),
        ("", ""),
    ])
    func decodes(path: String, name: String) {
        #expect(PercentDecoding.decode(path) == name)
    }

    /// A `%` without two hex digits, or escapes that are not UTF-8 (a cut sequence, a byte no
    /// UTF-8 has, an encoded surrogate), name no model.
    @Test(arguments: ["%", "100%", "%2", "%zz", "%G0", "%%41", "%C3", "%FF", "%ED%A0%80"])
    func refuses(path: String) {
        #expect(PercentDecoding.decode(path) == nil)
    }
}
