import FoundationEssentials

/// Checks a backend's `base_url` and reduces it to the server's root, to which Relay appends
/// `/v1/...` or `/api/...` itself.
struct BaseURL {
    let reader: ConfigReader

    /// Messages never repeat the URL: it may carry credentials (`https://user:pass@host`).
    func normalized(_ field: ConfigField) -> String? {
        guard let text = reader.string(field) else { return nil }
        guard let components = URLComponents(string: text),
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https"
        else {
            reader.report(field.path, "expected an http:// or https:// URL")
            return nil
        }
        guard let host = components.host, !host.isEmpty else {
            reader.report(field.path, "URL has no host")
            return nil
        }
        guard components.query == nil, components.fragment == nil else {
            reader.report(field.path, "URL must not have a query or fragment")
            return nil
        }
        return Self.strippingAPIVersion(text)
    }

    /// SPEC: a base_url that already ends in /v1 is accepted and not doubled. Only one `/v1` is
    /// removed, so a proxy mounted at `/v1/v1` keeps its first segment.
    static func strippingAPIVersion(_ url: String) -> String {
        var url = Substring(url)
        while url.hasSuffix("/") { url = url.dropLast() }
        if url.hasSuffix("/v1") { url = url.dropLast(3) }
        while url.hasSuffix("/") { url = url.dropLast() }
        return String(url)
    }
}
