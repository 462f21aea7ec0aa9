import RelayWire

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
struct JSONObjectBuilder {
    private var out: [UInt8] = [UInt8(ascii: "{")]
    private(set) var isEmpty = true

    init() {}

    mutating func add(_ key: String, raw value: some Sequence<UInt8>) {
        if !isEmpty { out.append(UInt8(ascii: ",")) }
        isEmpty = false
        out += JSONString.encode(key)
        out.append(UInt8(ascii: ":"))
        out.append(contentsOf: value)
    }

    mutating func add(_ key: String, string value: String) {
        add(key, raw: JSONString.encode(value))
    }

    mutating func add(_ key: String, int value: Int) {
        add(key, raw: String(value).utf8)
    }

    mutating func add(_ key: String, bool value: Bool) {
        add(key, raw: (value ? "true" : "false").utf8)
    }

    mutating func addNull(_ key: String) {
        add(key, raw: "null".utf8)
    }

    func bytes() -> [UInt8] {
        out + [UInt8(ascii: "}")]
    }
}

/// Writes a JSON array element by element, elements given as ready JSON bytes.
struct JSONArrayBuilder {
    private var out: [UInt8] = [UInt8(ascii: "[")]
    private(set) var count = 0

    init() {}

    mutating func append(raw element: some Sequence<UInt8>) {
        if count > 0 { out.append(UInt8(ascii: ",")) }
        count += 1
        out.append(contentsOf: element)
    }

    func bytes() -> [UInt8] {
        out + [UInt8(ascii: "]")]
    }
}
