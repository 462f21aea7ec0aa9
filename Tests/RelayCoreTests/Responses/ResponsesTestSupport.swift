import Testing

@testable import RelayWire

/// Helpers shared by the Responses translation tests.
enum ResponsesTestSupport {
    static func request(_ json: String) throws -> ClientRequest {
        try ClientRequest(body: Array(json.utf8))
    }

    static func text(_ bytes: [UInt8]) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    /// The chat body for a Responses request, as text.
    static func chat(_ json: String, history: String? = nil, upstreamModel: String = "qwen2.5-7b") throws -> String {
        text(
            try ResponsesToChat.body(
                request(json), history: history.map { Array($0.utf8) }, upstreamModel: upstreamModel))
    }

    /// The 400 a Responses request gets, `nil` when it translates.
    static func refusal(_ json: String) throws -> ClientRequestError? {
        let request = try request(json)
        do {
            _ = try ResponsesToChat.body(request, history: nil, upstreamModel: "qwen2.5-7b")
            return nil
        } catch {
            return error
        }
    }

    /// `text` with the random part of each id Relay made up replaced by `ID`, so that whole
    /// bodies can be compared.
    static func masked(_ text: String) -> String {
        text.replacing(/(msg|fc|call)_[0-9A-Za-z]{24}/) { "\($0.output.1)_ID" }
    }

    /// The elements of the array `key` of `object`, each read as an object.
    static func objects(_ key: String, in object: JSONObject) -> [JSONObject] {
        (object.array(key) ?? []).compactMap { try? JSONScanner.object(in: object.bytes, range: $0) }
    }
}
