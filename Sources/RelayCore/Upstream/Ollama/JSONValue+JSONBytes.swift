import RelayWire

extension JSONValue {
    /// The value as compact JSON, for merging config `options` into request bodies.
    ///
    /// A non-finite double (YAML `.inf`, `.nan`) has no JSON spelling and becomes `null`, which
    /// Ollama skips, rather than a body Ollama cannot parse.
    var jsonBytes: [UInt8] {
        switch self {
        case .null: return Array("null".utf8)
        case .bool(let value): return Array((value ? "true" : "false").utf8)
        case .int(let value): return Array(String(value).utf8)
        case .double(let value): return value.isFinite ? Array("\(value)".utf8) : Array("null".utf8)
        case .string(let value): return JSONString.encode(value)
        case .array(let elements):
            var array = JSONArrayBuilder()
            for element in elements { array.append(raw: element.jsonBytes) }
            return array.bytes()
        case .object(let members):
            var object = JSONObjectBuilder()
            for (key, value) in members { object.add(key, raw: value.jsonBytes) }
            return object.bytes()
        }
    }
}
