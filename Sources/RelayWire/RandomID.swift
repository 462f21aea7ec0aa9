/// Ids Relay makes up for what an upstream did not name (a message, a tool call, an output
/// item): a prefix and 24 random letters and digits, as OpenAI's and Anthropic's own ids look.
package enum RandomID {
    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    package static func make(prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        var letters: [UInt8] = []
        letters.reserveCapacity(24)
        // Eight letters from each 64-bit draw (62^8 < 2^64), so an id costs three draws from the
        // system's generator, not one a letter.
        for _ in 0..<3 {
            var draw = generator.next()
            for _ in 0..<8 {
                letters.append(alphabet[Int(draw % 62)])
                draw /= 62
            }
        }
        return prefix + String(decoding: letters, as: UTF8.self)
    }
}
