/// The Redis keys of one API key's limits. They share the hash tag `{name}`, so all of one
/// key's state lands on one node should Redis Cluster be supported later.
struct RedisLimitKeys {
    let requests: String
    let tokens: String
    let fallbackTokens: String
    let slots: String

    init(prefix: String, name: String) {
        let tag = "{" + Self.escaped(name) + "}"
        requests = prefix + tag + ":rpm"
        tokens = prefix + tag + ":tpm"
        fallbackTokens = prefix + tag + ":fallback_tpm"
        slots = prefix + tag + ":parallel"
    }

    /// A "}" in the name would end the hash tag early, so braces are percent-encoded (and "%"
    /// too, so that two names never map to the same keys).
    private static func escaped(_ name: String) -> String {
        var text = ""
        for character in name {
            switch character {
            case "%": text += "%25"
            case "{": text += "%7B"
            case "}": text += "%7D"
            default: text.append(character)
            }
        }
        return text
    }
}
