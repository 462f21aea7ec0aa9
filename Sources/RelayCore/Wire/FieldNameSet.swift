/// A fixed list of lowercase field names, matched against a name as it arrived (in any ASCII
/// case) by length first, then byte by byte: no lowercase copy of the name and no hash of it,
/// which cost more than comparing it with the few listed names of the same length. Used for the
/// fields of every request and answer. A class: a search takes one reference to it, not one to
/// each of its arrays.
final class FieldNameSet: Sendable {
    /// The names' bytes one after another, shortest first, and where each one stands.
    private let bytes: [UInt8]
    private let ranges: [Range<Int>]
    /// Each of `ranges`' names' position in the list given.
    private let positions: [Int]
    /// For each length up to the longest name's and one more: where the names that long or
    /// longer begin in `ranges`, so a name is compared only with those of its length.
    private let startOfLength: [Int]

    init(_ names: [String]) {
        precondition(names.allSatisfy { $0 == $0.lowercased() }, "a name not in lowercase")
        let byLength = names.enumerated().sorted {
            ($0.element.utf8.count, $0.offset) < ($1.element.utf8.count, $1.offset)
        }
        var bytes: [UInt8] = []
        var ranges: [Range<Int>] = []
        for (_, name) in byLength {
            ranges.append(bytes.count..<(bytes.count + name.utf8.count))
            bytes += name.utf8
        }
        let longest = ranges.last?.count ?? 0
        self.bytes = bytes
        self.ranges = ranges
        self.positions = byLength.map(\.offset)
        self.startOfLength = (0...(longest + 1)).map { length in
            ranges.firstIndex { $0.count >= length } ?? ranges.count
        }
    }

    /// Where `name` stands in the list, ignoring ASCII case; `nil` when it is not listed.
    func position(of name: String) -> Int? {
        var name = name
        return name.withUTF8 { position(of: UnsafeRawBufferPointer($0)) }
    }

    func contains(_ name: String) -> Bool {
        position(of: name) != nil
    }

    func contains(_ name: UnsafeRawBufferPointer) -> Bool {
        position(of: name) != nil
    }

    /// Whether `name` begins with `prefix` (lowercase), ignoring ASCII case.
    static func name(_ name: UnsafeRawBufferPointer, hasPrefix prefix: StaticString) -> Bool {
        prefix.withUTF8Buffer { prefix in
            name.count >= prefix.count
                && equalIgnoringASCIICase(name.assumingMemoryBound(to: UInt8.self), prefix, 0..<prefix.count)
        }
    }

    /// Where the name whose bytes are `name` stands in the list, ignoring ASCII case.
    func position(of name: UnsafeRawBufferPointer) -> Int? {
        let name = name.assumingMemoryBound(to: UInt8.self)
        guard name.count + 1 < startOfLength.count else { return nil }
        return bytes.withUnsafeBufferPointer { listed in
            for index in startOfLength[name.count]..<startOfLength[name.count + 1] {
                if Self.equalIgnoringASCIICase(name, listed, ranges[index]) { return positions[index] }
            }
            return nil
        }
    }

    /// Whether `text` begins with `lowercase[range]`, ignoring ASCII case.
    private static func equalIgnoringASCIICase(
        _ text: UnsafeBufferPointer<UInt8>, _ lowercase: UnsafeBufferPointer<UInt8>, _ range: Range<Int>
    ) -> Bool {
        var offset = 0
        while offset < range.count {
            if text[offset].asciiLowercased != lowercase[range.lowerBound + offset] { return false }
            offset += 1
        }
        return true
    }
}
