/// Rebuilds a JSON object with some members replaced, dropped or added, copying every other
/// member's key and value byte for byte.
///
/// Only the whitespace between top-level members changes; values are never re-serialised.
///
/// ```swift
/// var rewriter = JSONObjectRewriter(object)
/// rewriter.set("model", to: JSONString.encode("qwen2.5:7b"))
/// rewriter.drop("top_k")
/// let body = rewriter.bytes()
/// ```
package struct JSONObjectRewriter {
    private let object: JSONObject
    // A few keys each: searched, not hashed, and compared to the members' keys as bytes.
    private var replacements: [(key: String, value: [UInt8])] = []
    private var dropped: [String] = []
    private var appended: [(key: String, value: [UInt8])] = []

    package init(_ object: JSONObject) {
        self.object = object
    }

    /// Sets `key` to the raw JSON `value`: in place when present, appended otherwise.
    package mutating func set(_ key: String, to value: [UInt8]) {
        if let index = replacements.firstIndex(where: { $0.key == key }) {
            replacements[index].value = value
        } else if object.member(key) != nil {
            replacements.append((key, value))
        } else if let index = appended.firstIndex(where: { $0.key == key }) {
            appended[index].value = value
        } else {
            appended.append((key, value))
        }
    }

    package mutating func drop(_ key: String) {
        if !dropped.contains(key) { dropped.append(key) }
    }

    package func bytes() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(object.bytes.count + appended.reduce(0) { $0 + $1.key.utf8.count + $1.value.count + 4 })
        out.append(UInt8(ascii: "{"))
        var first = true
        for member in object.members where !dropped.contains(where: { object.member(member, hasKey: $0) }) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(contentsOf: object.bytes[member.keyRange])
            out.append(UInt8(ascii: ":"))
            if let replacement = replacements.first(where: { object.member(member, hasKey: $0.key) }) {
                out.append(contentsOf: replacement.value)
            } else {
                out.append(contentsOf: object.bytes[member.valueRange])
            }
        }
        for (key, value) in appended where !dropped.contains(key) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(contentsOf: JSONString.encode(key))
            out.append(UInt8(ascii: ":"))
            out.append(contentsOf: value)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }
}
