import Testing

@testable import RelayWire

/// Helpers shared by the Messages translation tests.
enum MessagesTestSupport {
    static func request(_ json: String) throws -> ClientRequest {
        try ClientRequest(body: Array(json.utf8))
    }

    static func text(_ bytes: [UInt8]) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    /// The chat body for a Messages request, as text.
    static func chat(_ json: String, upstreamModel: String = "qwen2.5-7b") throws -> String {
        text(try MessagesToChat.body(request(json), upstreamModel: upstreamModel))
    }

    /// The 400 a Messages request gets, `nil` when it translates.
    static func refusal(_ json: String) throws -> ClientRequestError? {
        let request = try request(json)
        do {
            _ = try MessagesToChat.body(request, upstreamModel: "qwen2.5-7b")
            return nil
        } catch {
            return error
        }
    }

    /// One event of an Anthropic stream: its name and its data, read.
    struct Event {
        var name: String
        var json: String
        var data: JSONObject

        /// A nested string, by a path of object keys (`delta.text`).
        func string(_ path: String) -> String? {
            var keys = path.split(separator: ".").map(String.init)
            let last = keys.removeLast()
            var object: JSONObject? = data
            for key in keys { object = object?.object(key) }
            return object?.string(last)
        }

        func int(_ path: String) -> Int? {
            var keys = path.split(separator: ".").map(String.init)
            let last = keys.removeLast()
            var object: JSONObject? = data
            for key in keys { object = object?.object(key) }
            return object?.int(last)
        }
    }

    /// Splits a writer's output into its events, checking each is `event: T\ndata: {"type":"T",...}`.
    static func events(_ out: [UInt8]) -> [Event] {
        let text = text(out)
        guard !text.isEmpty else { return [] }
        #expect(text.hasSuffix("\n\n"), "the output ends mid-event")
        var events: [Event] = []
        for block in text.split(separator: "\n\n", omittingEmptySubsequences: false).dropLast() {
            let lines = block.split(separator: "\n", omittingEmptySubsequences: false)
            guard lines.count == 2, lines[0].hasPrefix("event: "), lines[1].hasPrefix("data: ") else {
                Issue.record("not an event and its data: \(block)")
                continue
            }
            let json = String(lines[1].dropFirst("data: ".count))
            guard let data = try? JSONScanner.object(in: Array(json.utf8)) else {
                Issue.record("data that is not a JSON object: \(json)")
                continue
            }
            let name = String(lines[0].dropFirst("event: ".count))
            #expect(data.string("type") == name, "an event whose data's type is not its name: \(block)")
            events.append(Event(name: name, json: json, data: data))
        }
        return events
    }
}
