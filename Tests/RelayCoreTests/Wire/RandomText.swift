/// Random bytes shaped like text: mostly printable ASCII, sometimes any byte, as real strings
/// and heads are. For the tests that compare a word-at-a-time scan with a byte-by-byte one.
enum RandomText {
    static func bytes(fewerThan limit: Int, using generator: inout some RandomNumberGenerator) -> [UInt8] {
        (0..<Int.random(in: 0..<limit, using: &generator)).map { _ in
            Bool.random(using: &generator)
                ? UInt8.random(in: 0x20...0x7E, using: &generator) : UInt8.random(in: 0...255, using: &generator)
        }
    }
}
