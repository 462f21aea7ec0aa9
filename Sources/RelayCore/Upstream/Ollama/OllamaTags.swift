import RelayWire

/// Reads Ollama's `GET /api/tags` answer, the models a server has pulled, so health checks
/// can tell "Ollama is up but the model is not pulled" from "Ollama is up".
///
/// ```swift
/// if let names = OllamaTags.modelNames(in: body), !OllamaTags.contains("qwen2.5:7b", in: names) {
///     // report the model as not pulled in /readyz
/// }
/// ```
enum OllamaTags {
    /// The models' names (`name`, else `model`), or `nil` when `body` is not a tags answer.
    static func modelNames(in body: [UInt8]) -> [String]? {
        guard let object = try? JSONScanner.object(in: body), let models = object.array("models") else {
            return nil
        }
        return models.compactMap { range in
            guard let model = try? JSONScanner.object(in: body, range: range) else { return nil }
            return model.string("name") ?? model.string("model")
        }
    }

    /// Whether `model` is among `names`. Ollama reads a name without a tag as `:latest`.
    static func contains(_ model: String, in names: [String]) -> Bool {
        let wanted = withTag(model)
        return names.contains { withTag($0) == wanted }
    }

    /// `name` with `:latest` added when it has no tag (a `:` after the last `/` is a tag; one
    /// before it belongs to a registry host's port).
    private static func withTag(_ name: String) -> String {
        let lastPart = name.split(separator: "/", omittingEmptySubsequences: false).last ?? Substring(name)
        return lastPart.contains(":") ? name : name + ":latest"
    }
}
