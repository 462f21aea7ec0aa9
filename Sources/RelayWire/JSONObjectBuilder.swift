/// Writes a JSON object member by member, values given as ready JSON bytes.
///
/// Translations copy client and upstream values byte for byte where the shapes match, so the
/// builder never re-serialises a value; it only places keys, colons, commas and braces.
///
/// ```swift
/// var object = JSONObjectBuilder()
/// object.add("model", string: "qwen2.5:7b")
/// object.add("stream", bool: false)
/// let body = object.bytes()  // {"model":"qwen2.5:7b","stream":false}
/// ```
package struct JSONObjectBuilder {
    /// Inlinable so that the generic `add(_:raw:)` is specialised in the modules that call it.
    @usableFromInline var out: [UInt8] = [UInt8(ascii: "{")]

    package var isEmpty: Bool { out.count == 1 }

    package init() {}

    @inlinable
    package mutating func add(_ key: String, raw value: some Sequence<UInt8>) {
        if out.count > 1 { out.append(UInt8(ascii: ",")) }
        JSONString.encode(key, into: &out)
        out.append(UInt8(ascii: ":"))
        out.append(contentsOf: value)
    }

    package mutating func add(_ key: String, string value: String) {
        add(key, raw: JSONString.encode(value))
    }

    package mutating func add(_ key: String, int value: Int) {
        add(key, raw: String(value).utf8)
    }

    package mutating func add(_ key: String, bool value: Bool) {
        add(key, raw: (value ? "true" : "false").utf8)
    }

    package mutating func addNull(_ key: String) {
        add(key, raw: "null".utf8)
    }

    package func bytes() -> [UInt8] {
        out + [UInt8(ascii: "}")]
    }
}

/// Writes a JSON array element by element, elements given as ready JSON bytes.
package struct JSONArrayBuilder {
    @usableFromInline var out: [UInt8] = [UInt8(ascii: "[")]
    @usableFromInline var elementCount = 0

    package var count: Int { elementCount }

    package init() {}

    @inlinable
    package mutating func append(raw element: some Sequence<UInt8>) {
        if elementCount > 0 { out.append(UInt8(ascii: ",")) }
        elementCount += 1
        out.append(contentsOf: element)
    }

    package func bytes() -> [UInt8] {
        out + [UInt8(ascii: "]")]
    }
}
