/// Decodes `api_keys:`, checking names, ids and hashes are unique and scopes name real models.
struct APIKeyConfigDecoder {
    let reader: ConfigReader
    /// Every name under `models:`, valid or not (see `ModelConfigDecoder.backendNames`).
    let modelNames: Set<String>

    static let knownKeys = [
        "name", "hash", "id", "scopes", "limits", "fallback", "fallback_tpm", "priority", "quotas", "budget",
    ]

    func decode(_ field: ConfigField) -> [APIKeyConfig] {
        guard !field.isNull, let elements = reader.list(field) else { return [] }
        var keys: [APIKeyConfig] = []
        var firstPathByName: [String: String] = [:]
        var firstPathByID: [String: String] = [:]
        var firstPathByHash: [String: String] = [:]
        for element in elements where reader.isMappingOrNull(element) {
            let fields = reader.fields(of: element, known: Self.knownKeys)
            let name = reader.required("name", in: fields).flatMap { reader.nonEmptyString($0) }
            let hash = reader.required("hash", in: fields).flatMap { KeyHashParser(reader: reader).parse($0) }
            let scopes = reader.required("scopes", in: fields).flatMap(decodeScopes)
            let id = fields["id"].flatMap(decodeID)

            if let name { checkUnique(name, quoted: true, at: fields.childPath("name"), seen: &firstPathByName) }
            if let id { checkUnique(id, quoted: true, at: fields.childPath("id"), seen: &firstPathByID) }
            // Two keys with one hash would make a request's key ambiguous.
            if let hash {
                checkUnique(
                    KeyHashParser.canonical(hash), quoted: false, at: fields.childPath("hash"), seen: &firstPathByHash)
            }

            var key = APIKeyConfig(name: name ?? "", hash: hash ?? .sha256([]), scopes: scopes ?? [])
            key.id = id
            // `limits: null` reads as no limits of its own, the same as leaving the key out.
            if let limits = reader.nullable(fields["limits"], { LimitsDecoder(reader: reader).decode($0) }) {
                key.limits = limits
            }
            if let fallback = fields["fallback"].flatMap({ reader.bool($0) }) { key.fallback = fallback }
            key.fallbackTPM = fields["fallback_tpm"].flatMap { reader.int($0, atLeast: 1) }
            if let priority = fields["priority"].flatMap({ reader.int($0, atLeast: -1000, atMost: 1000) }) {
                key.priority = priority
            }
            let quotaDecoder = QuotaConfigDecoder(reader: reader)
            if let quotas = reader.nullable(fields["quotas"], { quotaDecoder.quotas($0) }) { key.quotas = quotas }
            if let budget = reader.nullable(fields["budget"], { quotaDecoder.budget($0) }) { key.budget = budget }
            keys.append(key)
        }
        return keys
    }

    /// `quoted: false` keeps secrets (hashes) out of the message; only the other path is named.
    private func checkUnique<Value: Hashable>(
        _ value: Value,
        quoted: Bool,
        at path: String,
        seen: inout [Value: String]
    ) {
        if let firstPath = seen[value] {
            let what = quoted ? "\"\(value)\" is also used by \(firstPath)" : "same as \(firstPath)"
            reader.report(path, "duplicate: \(what)")
        } else {
            seen[value] = path
        }
    }

    /// Each scope is "*" or a model name; an empty list would make a key that can do nothing.
    private func decodeScopes(_ field: ConfigField) -> [String]? {
        guard let elements = reader.list(field) else { return nil }
        guard !elements.isEmpty else {
            reader.report(field.path, "must name at least one model, or \"*\" for all")
            return nil
        }
        var scopes: [String] = []
        for element in elements {
            guard let scope = reader.string(element) else { continue }
            if scope != "*" && !modelNames.contains(scope) {
                reader.report(element.path, "unknown model \(reader.shown(element, "\"\(scope)\""))")
            }
            scopes.append(scope)
        }
        return scopes
    }

    /// Key ids are what `relay keys generate` embeds after `rk-`: base62 only.
    private func decodeID(_ field: ConfigField) -> String? {
        guard let id = reader.string(field) else { return nil }
        let isBase62 = id.unicodeScalars.allSatisfy { scalar in
            ("0"..."9").contains(scalar) || ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
        }
        guard isBase62, (8...32).contains(id.count) else {
            reader.report(
                field.path, "expected 8 to 32 letters and digits (base62), got \(reader.shown(field, "\"\(id)\""))")
            return nil
        }
        return id
    }
}
