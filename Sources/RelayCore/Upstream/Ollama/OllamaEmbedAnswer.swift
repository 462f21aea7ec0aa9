import RelayWire

/// Translates an Ollama `/api/embed` answer into an OpenAI embeddings list.
///
/// ```swift
/// let answer = try OllamaEmbedAnswer.translate(ollamaBody, alias: "minilm", asBase64: request.wantsBase64)
/// // {"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.010071029,…]}],
/// //  "model":"minilm","usage":{"prompt_tokens":8,"total_tokens":8}}
/// ```
///
/// Floats are copied as Ollama printed them. With `asBase64` (`encoding_format: "base64"`, the
/// official Node SDK's default) each vector becomes base64 of its little-endian float32s, as
/// OpenAI sends it: Ollama only answers floats.
enum OllamaEmbedAnswer {
    package static func translate(
        _ body: [UInt8],
        alias: String,
        asBase64: Bool
    ) throws(OllamaAnswerError) -> OllamaAnswer {
        let object = try OllamaAnswerError.object(in: body)
        guard let vectors = object.array("embeddings") else {
            throw OllamaAnswerError("the backend's answer has no embeddings")
        }
        var data = JSONArrayBuilder()
        for (index, range) in vectors.enumerated() {
            guard let numbers = try? JSONScanner.arrayElements(in: body, range: range) else {
                throw OllamaAnswerError("the backend's embedding \(index) is not an array of numbers")
            }
            var embedding = JSONObjectBuilder()
            embedding.add("object", string: "embedding")
            embedding.add("index", int: index)
            embedding.add("embedding", raw: asBase64 ? base64(numbers, in: body) : floats(numbers, in: body))
            data.append(raw: embedding.bytes())
        }
        let usage = Usage(promptTokens: object.int("prompt_eval_count") ?? 0, completionTokens: 0)
        var list = JSONObjectBuilder()
        list.add("object", string: "list")
        list.add("data", raw: data.bytes())
        list.add("model", string: alias)
        list.add("usage", raw: "{\"prompt_tokens\":\(usage.promptTokens),\"total_tokens\":\(usage.promptTokens)}".utf8)
        return OllamaAnswer(body: list.bytes(), usage: usage)
    }

    /// The vector as a compact JSON array (Ollama's may be spread over lines).
    private static func floats(_ numbers: [Range<Int>], in body: [UInt8]) -> [UInt8] {
        var array = JSONArrayBuilder()
        for number in numbers { array.append(raw: body[number]) }
        return array.bytes()
    }

    private static func base64(_ numbers: [Range<Int>], in body: [UInt8]) -> [UInt8] {
        var packed: [UInt8] = []
        packed.reserveCapacity(numbers.count * 4)
        for number in numbers {
            let value = Float(Substring(decoding: body[number], as: UTF8.self)) ?? 0
            withUnsafeBytes(of: value.bitPattern.littleEndian) { packed.append(contentsOf: $0) }
        }
        return [UInt8(ascii: "\"")] + Base64Encoding.encode(packed) + [UInt8(ascii: "\"")]
    }
}
