/// Ids Relay makes up for what an upstream did not name (a message, a tool call, an output
/// item): a prefix and 24 random letters and digits, as OpenAI's and Anthropic's own ids look.
enum RandomID {
    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    static func make(prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let letters = (0..<24).map { _ in alphabet[Int(generator.next(upperBound: UInt(alphabet.count)))] }
        return prefix + String(decoding: letters, as: UTF8.self)
    }
}
