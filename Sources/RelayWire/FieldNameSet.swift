/// A fixed list of lowercase field names, matched against a name as it arrived (in any ASCII
/// case) by length first, then eight bytes at a time, each word lowercased in a few operations:
/// no lowercase copy of the name and no hash of it, which cost more than comparing it with the
/// few listed names of the same length. Used for the fields of every request and answer. A
/// class: a search takes one reference to it, not one to each of its arrays.
package final class FieldNameSet: Sendable {
    /// Each name's bytes in little-endian words, the last one padded with zeros, shortest
    /// name first.
    private let words: [UInt64]
    /// Where each name's words begin in `words`.
    private let firstWord: [Int]
    /// Each name's position in the list given.
    private let positions: [Int]
    /// For each length up to the longest name's and one more: where the names that long or
    /// longer begin in `firstWord`, so a name is compared only with those of its length.
    private let startOfLength: [Int]

    package init(_ names: [String]) {
        precondition(names.allSatisfy { $0 == $0.lowercased() }, "a name not in lowercase")
        let byLength = names.enumerated().sorted {
            ($0.element.utf8.count, $0.offset) < ($1.element.utf8.count, $1.offset)
        }
        var words: [UInt64] = []
        var firstWord: [Int] = []
        for (_, name) in byLength {
            firstWord.append(words.count)
            Array(name.utf8).withUnsafeBytes { bytes in
                for offset in stride(from: 0, to: bytes.count, by: 8) { words.append(Self.word(of: bytes, at: offset)) }
            }
        }
        let lengths = byLength.map(\.element.utf8.count)
        self.words = words
        self.firstWord = firstWord
        self.positions = byLength.map(\.offset)
        self.startOfLength = (0...((lengths.last ?? 0) + 1)).map { length in
            lengths.firstIndex { $0 >= length } ?? lengths.count
        }
    }

    /// Where `name` stands in the list, ignoring ASCII case; `nil` when it is not listed.
    package func position(of name: String) -> Int? {
        var name = name
        return name.withUTF8 { position(of: UnsafeRawBufferPointer($0)) }
    }

    package func contains(_ name: String) -> Bool {
        position(of: name) != nil
    }

    package func contains(_ name: UnsafeRawBufferPointer) -> Bool {
        position(of: name) != nil
    }

    /// Whether `name` begins with `prefix` (lowercase), ignoring ASCII case.
    package static func name(_ name: UnsafeRawBufferPointer, hasPrefix prefix: StaticString) -> Bool {
        guard name.count >= prefix.utf8CodeUnitCount else { return false }
        for index in 0..<prefix.utf8CodeUnitCount where name[index].asciiLowercased != prefix.utf8Start[index] {
            return false
        }
        return true
    }

    /// Where the name whose bytes are `name` stands in the list, ignoring ASCII case.
    package func position(of name: UnsafeRawBufferPointer) -> Int? {
        guard name.count + 1 < startOfLength.count else { return nil }
        let candidates = startOfLength[name.count]..<startOfLength[name.count + 1]
        guard !candidates.isEmpty else { return nil }
        let first = Self.lowercased(Self.word(of: name, at: 0))
        return words.withUnsafeBufferPointer { words in
            nextCandidate: for candidate in candidates where words[firstWord[candidate]] == first {
                var offset = 8
                while offset < name.count {
                    let word = Self.lowercased(Self.word(of: name, at: offset))
                    if words[firstWord[candidate] + offset / 8] != word { continue nextCandidate }
                    offset += 8
                }
                return positions[candidate]
            }
            return nil
        }
    }

    /// Up to eight bytes of `bytes` from `offset`, little-endian, zeros past the end.
    private static func word(of bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt64 {
        let count = min(8, bytes.count - offset)
        if count == 8 { return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
        var word: UInt64 = 0
        for index in 0..<max(0, count) { word |= UInt64(bytes[offset + index]) << (8 * index) }
        return word
    }

    /// `word` with each byte from `A` to `Z` made lowercase, all eight at once: a byte's high bit
    /// marks it when it is at least `A`, below `[`, and ASCII.
    private static func lowercased(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let low7 = word & (ones &* 0x7F)
        let atLeastA = low7 &+ ones &* (0x80 - 0x41)
        let atLeastBracket = low7 &+ ones &* (0x80 - 0x5B)
        let upper = atLeastA & ~atLeastBracket & ~word & (ones &* 0x80)
        return word | (upper >> 2)
    }
}
