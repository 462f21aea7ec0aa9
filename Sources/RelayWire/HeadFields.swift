import NIOCore

/// A head's fields as the bytes they came in, read when asked: no string is made of a field
/// nobody reads. Of a backend's answer Relay passes back only a few fields (most are framing,
/// hop-by-hop or the backend's own).
package struct HeadFields {
    /// Where a field's name and value are in `bytes`.
    private struct Ranges {
        var name: Range<Int>
        var value: Range<Int>
    }

    /// The head's bytes (a slice of what was read, not a copy), which the ranges index.
    package var bytes = ByteBuffer()
    private var ranges: [Ranges] = []

    package init() {}

    /// Notes a field as `HTTP1Syntax.fields` reads it from `text`, the bytes `bytes` will hold.
    package mutating func append(
        name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, in text: UnsafeRawBufferPointer
    ) {
        if ranges.isEmpty { ranges.reserveCapacity(12) }
        ranges.append(Ranges(name: text.offset(of: name), value: text.offset(of: value)))
    }

    var count: Int { ranges.count }

    /// Each field's name and value, in the order and spelling they came.
    package func eachField(_ body: (_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) -> Void) {
        bytes.withUnsafeReadableBytes { text in
            for field in ranges {
                body(
                    UnsafeRawBufferPointer(rebasing: text[field.name]),
                    UnsafeRawBufferPointer(rebasing: text[field.value]))
            }
        }
    }

    /// The fields as strings, in the order and spelling they came.
    var strings: [(name: String, value: String)] {
        var strings: [(name: String, value: String)] = []
        eachField { strings.append((String(decoding: $0, as: UTF8.self), String(decoding: $1, as: UTF8.self))) }
        return strings
    }
}

extension UnsafeRawBufferPointer {
    /// Where `part`, which lies within these bytes, is in them.
    fileprivate func offset(of part: UnsafeRawBufferPointer) -> Range<Int> {
        guard let base = baseAddress, let start = part.baseAddress else { return 0..<0 }
        let offset = start - base
        return offset..<(offset + part.count)
    }
}
