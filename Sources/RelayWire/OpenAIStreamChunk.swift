/// Where the members Relay reads stand in one event of an OpenAI-API stream, found in a single
/// pass over the event's bytes that checks it is one well-formed JSON object, copies nothing and
/// allocates nothing (a `model` key given twice aside). A stream sends dozens of these a second,
/// each read once, so the pass descends into the first choice as it goes instead of reading
/// `choices` again.
///
/// It reads what `JSONScanner.object` and `JSONObject` read from the same bytes (a test and the
/// SSE fuzz target hold it to that): where a key is given twice, the first is read, as
/// `JSONObject.member` reads it; every `model` value is noted, so every one can be replaced; a key
/// that is not UTF-8 fails the event at the top level, and only its own object's reading (the
/// first choice, its `delta`) deeper in.
struct OpenAIStreamChunk {
    var id: Range<Int>?
    var object: Range<Int>?
    var created: Range<Int>?
    var usage: Range<Int>?
    var hasError = false
    /// `nil` when there is no `choices` array.
    var choiceCount: Int?
    /// The first choice's `delta.content`, else its `text` (completions): the value as it stands.
    var firstChoiceText: Range<Int>?
    /// The value of each `model` member, in order.
    var models = SpliceRanges()

    init(scanning bytes: [UInt8]) throws(JSONScanError) {
        self = try JSONScanner.scan(bytes, range: 0..<bytes.count) { scanner throws(JSONScanError) in
            var chunk = OpenAIStreamChunk()
            try chunk.read(&scanner)
            return chunk
        }
    }

    private init() {}

    private mutating func read(_ scanner: inout JSONScanner) throws(JSONScanError) {
        scanner.skipWhitespace()
        guard scanner.peek() == UInt8(ascii: "{") else { throw .notAnObject }
        var sawChoices = false
        try scanner.walkObject(depth: 0) { scanner, key throws(JSONScanError) in
            guard key.isUTF8 else { throw .invalidUTF8 }
            let start = scanner.index
            if !sawChoices, scanner.key(key, is: "choices") {
                sawChoices = true
                if scanner.peek() == UInt8(ascii: "[") {
                    try self.readChoices(&scanner)
                    return
                }
            }
            try scanner.skipValue(depth: 1)
            let value = start..<scanner.index
            if scanner.key(key, is: "model") {
                self.models.append(value)
            } else if self.id == nil, scanner.key(key, is: "id") {
                self.id = value
            } else if self.object == nil, scanner.key(key, is: "object") {
                self.object = value
            } else if self.created == nil, scanner.key(key, is: "created") {
                self.created = value
            } else if self.usage == nil, scanner.key(key, is: "usage") {
                self.usage = value
            } else if scanner.key(key, is: "error") {
                self.hasError = true
            }
        }
        scanner.skipWhitespace()
        guard scanner.index == scanner.end else { throw .trailingBytes }
    }

    private mutating func readChoices(_ scanner: inout JSONScanner) throws(JSONScanError) {
        var count = 0
        try scanner.walkArray(depth: 1) { scanner, position throws(JSONScanError) in
            count += 1
            if position == 0, scanner.peek() == UInt8(ascii: "{") {
                self.firstChoiceText = try Self.readText(ofChoice: &scanner)
            } else {
                try scanner.skipValue(depth: 2)
            }
        }
        choiceCount = count
    }

    private static func readText(ofChoice scanner: inout JSONScanner) throws(JSONScanError) -> Range<Int>? {
        var sawDelta = false
        var content: Range<Int>?
        var text: Range<Int>?
        var readable = true
        try scanner.walkObject(depth: 2) { scanner, key throws(JSONScanError) in
            if !key.isUTF8 { readable = false }
            if !sawDelta, scanner.key(key, is: "delta") {
                sawDelta = true
                if scanner.peek() == UInt8(ascii: "{") {
                    content = try readContent(ofDelta: &scanner)
                    return
                }
            }
            let start = scanner.index
            try scanner.skipValue(depth: 3)
            if text == nil, scanner.key(key, is: "text") { text = start..<scanner.index }
        }
        return readable ? content ?? text : nil
    }

    private static func readContent(ofDelta scanner: inout JSONScanner) throws(JSONScanError) -> Range<Int>? {
        var content: Range<Int>?
        var readable = true
        try scanner.walkObject(depth: 3) { scanner, key throws(JSONScanError) in
            if !key.isUTF8 { readable = false }
            let start = scanner.index
            try scanner.skipValue(depth: 4)
            if content == nil, scanner.key(key, is: "content") { content = start..<scanner.index }
        }
        return readable ? content : nil
    }
}
