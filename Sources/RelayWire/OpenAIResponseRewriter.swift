import FoundationEssentials

/// Rewrites a complete (non-streamed) OpenAI-API answer for the client: `model` back to the
/// client's alias (spliced into the upstream's bytes), and embeddings to base64 when the client asked for it and the upstream sent floats.
package enum OpenAIResponseRewriter {
    package struct Result {
        package var body: [UInt8]
        package var usage: Usage?
    }

    /// Why an answer cannot be handed to the client as a success.
    package struct Unusable: Error, Equatable {
        package var reason: String
    }

    /// - Throws: `Unusable` for a body that is not a JSON object or is an error (some servers
    ///   answer 200 with `{"error": …}`): neither is an answer to hand the client as a success.
    package static func rewrite(
        _ body: [UInt8],
        alias: String,
        embeddingsAsBase64: Bool
    ) throws(Unusable) -> Result {
        let aliasJSON = JSONString.encode(alias)
        if embeddingsAsBase64 { return try rewriteEmbeddings(body, aliasJSON: aliasJSON) }
        // One walk of the answer, checking all of it: where each `model` is, whether it is an
        // error, and the counts of its first `usage`, read where the walk meets it.
        var models = SpliceRanges()
        var answeredWithError = false
        var counts: Usage.CountRanges?
        do {
            try JSONScanner.scan(body, range: 0..<body.count) { scanner throws(JSONScanError) in
                scanner.skipWhitespace()
                guard scanner.peek() == UInt8(ascii: "{") else { throw .notAnObject }
                try scanner.walkObject(depth: 0) { scanner, key throws(JSONScanError) in
                    guard key.isUTF8 else { throw .invalidUTF8 }
                    if counts == nil, scanner.key(key, is: "usage") {
                        counts = try Usage.countRanges(in: &scanner, depth: 1)
                        return
                    }
                    let start = scanner.index
                    try scanner.skipValue(depth: 1)
                    if scanner.key(key, is: "model") {
                        models.append(start..<scanner.index)
                    } else if scanner.key(key, is: "error") {
                        answeredWithError = true
                    }
                }
                scanner.skipWhitespace()
                guard scanner.index == scanner.end else { throw .trailingBytes }
            }
        } catch {
            throw Unusable(reason: "unreadable answer: not a JSON object")
        }
        if answeredWithError { throw Unusable(reason: "answered 200 with an error") }
        // Every byte as the upstream sent it but `model`'s value.
        var out: [UInt8] = []
        out.reserveCapacity(body.count + aliasJSON.count)
        models.splice(body, replacingWith: aliasJSON, into: &out)
        return Result(body: out, usage: counts.flatMap { Usage(body, counts: $0) })
    }

    /// An embeddings answer whose float vectors become base64, as the client asked.
    private static func rewriteEmbeddings(_ body: [UInt8], aliasJSON: [UInt8]) throws(Unusable) -> Result {
        guard let object = try? JSONScanner.object(in: body) else {
            throw Unusable(reason: "unreadable answer: not a JSON object")
        }
        if object.member("error") != nil { throw Unusable(reason: "answered 200 with an error") }
        let usage = object.member("usage").flatMap { Usage(body, range: $0.valueRange) }
        if let data = object.array("data") {
            var rewriter = JSONObjectRewriter(object)
            if object.member("model") != nil { rewriter.set("model", to: aliasJSON) }
            rewriter.set("data", to: base64Embeddings(body, elements: data))
            return Result(body: rewriter.bytes(), usage: usage)
        }
        var out: [UInt8] = []
        object.append(replacingValuesOf: "model", with: aliasJSON, to: &out)
        return Result(body: out, usage: usage)
    }

    /// The `data` array with each float `embedding` replaced by base64 of little-endian float32s,
    /// what OpenAI sends for `encoding_format: base64`.
    private static func base64Embeddings(_ body: [UInt8], elements: [Range<Int>]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "[")]
        for (position, range) in elements.enumerated() {
            if position > 0 { out.append(UInt8(ascii: ",")) }
            guard let element = try? JSONScanner.object(in: body, range: range),
                let floats = element.array("embedding")
            else {
                out += body[range]
                continue
            }
            var packed = Data(capacity: floats.count * 4)
            for floatRange in floats {
                let value = Float(String(decoding: body[floatRange], as: UTF8.self)) ?? 0
                withUnsafeBytes(of: value.bitPattern.littleEndian) { packed.append(contentsOf: $0) }
            }
            var rewriter = JSONObjectRewriter(element)
            rewriter.set("embedding", to: JSONString.encode(packed.base64EncodedString()))
            out += rewriter.bytes()
        }
        out.append(UInt8(ascii: "]"))
        return out
    }
}
