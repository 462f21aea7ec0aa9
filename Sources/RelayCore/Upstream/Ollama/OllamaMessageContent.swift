import RelayWire

/// One OpenAI message's `content` as Ollama takes it: a text string and base64 images.
struct OllamaMessageContent {
    /// A JSON string literal, quotes included.
    package var text: [UInt8]
    /// JSON string literals holding base64 image data.
    var images: [[UInt8]] = []

    init(of message: JSONObject, path: String) throws(OllamaTranslationError) {
        let contentPath = "\(path).content"
        guard let member = message.member("content") else {
            text = Array("\"\"".utf8)
            return
        }
        switch message.kind(of: member.valueRange) {
        case .null:
            // An assistant turn that only called tools.
            text = Array("\"\"".utf8)
        case .string:
            text = Array(message.bytes[member.valueRange])
        case .array:
            guard let parts = message.array("content") else {
                throw OllamaTranslationError("\(contentPath) is not valid JSON", param: contentPath)
            }
            var texts: [String] = []
            for (index, range) in parts.enumerated() {
                let partPath = "\(contentPath)[\(index)]"
                guard message.kind(of: range) == .object,
                    let part = try? JSONScanner.object(in: message.bytes, range: range)
                else { throw OllamaTranslationError("\(partPath) must be an object", param: partPath) }
                switch part.string("type") {
                case "text":
                    guard let partText = part.string("text") else {
                        throw OllamaTranslationError("\(partPath).text must be a string", param: "\(partPath).text")
                    }
                    texts.append(partText)
                case "image_url":
                    guard let url = part.object("image_url")?.string("url") ?? part.string("image_url") else {
                        throw OllamaTranslationError(
                            "\(partPath).image_url.url must be a string", param: "\(partPath).image_url.url")
                    }
                    images.append(try Self.base64Payload(ofImageURL: url, path: "\(partPath).image_url.url"))
                case "refusal":
                    // An assistant's earlier refusal carries no text for the model to read.
                    continue
                case let type:
                    throw OllamaTranslationError(
                        "\(partPath).type \"\(type ?? "")\" is not supported by this model's backend, "
                            + "which takes text and base64 image parts",
                        param: "\(partPath).type"
                    )
                }
            }
            text = JSONString.encode(texts.joined(separator: "\n"))
        default:
            throw OllamaTranslationError(
                "\(contentPath) must be a string or an array of content parts", param: contentPath)
        }
    }

    /// The base64 data of a `data:image/png;base64,...` URL, as a JSON string. Relay does not
    /// fetch `http(s)` URLs for the backend: that would let clients make Relay call any address.
    static func base64Payload(ofImageURL url: String, path: String) throws(OllamaTranslationError) -> [UInt8] {
        guard url.hasPrefix("data:") else {
            throw OllamaTranslationError(
                "image URLs are not supported by this model's backend; send the image inline as a base64 data URL "
                    + "(data:image/png;base64,...)",
                param: path
            )
        }
        guard let comma = url.firstIndex(of: ","), url[..<comma].hasSuffix(";base64") else {
            throw OllamaTranslationError("\(path) must be a base64 data URL (data:image/png;base64,...)", param: path)
        }
        return JSONString.encode(String(url[url.index(after: comma)...]))
    }
}
