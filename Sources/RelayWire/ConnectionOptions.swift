/// The header names a `Connection` field lists (RFC 9110 §7.6.1): they are for one hop only, so
/// a proxy drops them along with `Connection` itself.
///
/// The values are kept as they came and read when asked: a head's `Connection` nearly always
/// says only `keep-alive` or `close`, and a proxy asks about a few names, so nothing is split,
/// copied or lowercased up front.
package struct ConnectionOptions {
    private let values: [String]

    /// From the values of every `Connection` field of a head.
    package init(_ values: [String]) {
        self.values = values
    }

    /// Whether `name` is listed, in any ASCII case.
    package func names(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { wanted in
            values.contains { value in
                var value = value
                return value.withUTF8 { Self.list($0, has: wanted) }
            }
        }
    }

    /// Whether the comma-separated `list` has `wanted` as one of its members, spaces and tabs
    /// around a member aside, case aside.
    private static func list(_ list: UnsafeBufferPointer<UInt8>, has wanted: UnsafeBufferPointer<UInt8>) -> Bool {
        var start = 0
        while start <= list.count {
            var end = start
            while end < list.count, list[end] != UInt8(ascii: ",") { end += 1 }
            var first = start
            var last = end
            while first < last, list[first] == 0x20 || list[first] == 0x09 { first += 1 }
            while last > first, list[last - 1] == 0x20 || list[last - 1] == 0x09 { last -= 1 }
            if last - first == wanted.count,
                !wanted.indices.contains(where: { list[first + $0].asciiLowercased != wanted[$0].asciiLowercased })
            {
                return true
            }
            start = end + 1
        }
        return false
    }
}
