/// The `content` of one chat message, gathered part by part from another API's content (Anthropic
/// content blocks, Responses content parts) by the translations to chat.
///
/// One text part is written as a plain string, which every chat backend and template reads;
/// several parts, or an image, as an array of OpenAI content parts.
struct ChatContentParts {
    private var parts: [[UInt8]] = []
    /// The string literal of the text when the only part is one text part.
    private var onlyText: ArraySlice<UInt8>?

    var isEmpty: Bool { parts.isEmpty }

    /// A text part; `literal` is a JSON string literal, quotes included, copied as it stands.
    mutating func appendText(_ literal: ArraySlice<UInt8>) {
        onlyText = parts.isEmpty ? literal : nil
        var part = JSONObjectBuilder()
        part.add("type", string: "text")
        part.add("text", raw: literal)
        parts.append(part.bytes())
    }

    /// An `image_url` part; `url`, and `detail` when given, are JSON string literals, quotes
    /// included.
    mutating func appendImage(url: some Sequence<UInt8>, detail: ArraySlice<UInt8>? = nil) {
        onlyText = nil
        var image = JSONObjectBuilder()
        image.add("url", raw: url)
        if let detail { image.add("detail", raw: detail) }
        var part = JSONObjectBuilder()
        part.add("type", string: "image_url")
        part.add("image_url", raw: image.bytes())
        parts.append(part.bytes())
    }

    /// The content's JSON: a string for a single text part, `""` for none, else the array.
    var json: [UInt8] {
        if let onlyText { return Array(onlyText) }
        if parts.isEmpty { return Array("\"\"".utf8) }
        var array = JSONArrayBuilder()
        for part in parts { array.append(raw: part) }
        return array.bytes()
    }
}
