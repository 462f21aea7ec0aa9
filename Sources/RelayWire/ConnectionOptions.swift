/// The header names a `Connection` field lists (RFC 9110 §7.6.1): they are for one hop only, so
/// a proxy drops them along with `Connection` itself.
package struct ConnectionOptions {
    private let names: Set<String>

    /// From the values of every `Connection` field of a head.
    package init(_ values: [String]) {
        var names = Set<String>()
        for value in values {
            for option in value.utf8.split(separator: UInt8(ascii: ",")) {
                let trimmed = option.drop { $0 == 0x20 || $0 == 0x09 }.reversed().drop { $0 == 0x20 || $0 == 0x09 }
                if !trimmed.isEmpty { names.insert(String(decoding: trimmed.reversed(), as: UTF8.self).lowercased()) }
            }
        }
        self.names = names
    }

    /// Whether `name` is listed, in any ASCII case.
    package func names(_ name: String) -> Bool {
        names.contains(name.lowercased())
    }
}
