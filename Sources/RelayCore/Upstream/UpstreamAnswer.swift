import FoundationEssentials
import RelayWire

/// A complete (non-streamed) answer in the client's API, as the upstream dialect made it.
struct UpstreamAnswer: Sendable {
    var body: [UInt8]
    /// The upstream's counts; `nil` when it reported none (settled on Relay's estimate).
    var usage: Usage?
    /// A Responses answer's response, for the stored conversation.
    var response: ResponseOutput?
}

/// A Responses answer as Relay stores it (`ResponsesKeeper`): the response's id, the response
/// object, and its output items, which the next turn's conversation continues from.
struct ResponseOutput: Sendable {
    var id: String
    /// The response object as the client got it (a stream's last one).
    var response: [UInt8]
    /// Its `output`, a JSON array.
    var items: [UInt8]

    /// The id of a response Relay writes itself (translated from chat).
    static func newID() -> String {
        RandomID.make(prefix: "resp_")
    }

    /// `created_at` of a response Relay writes: seconds since 1970.
    static func now() -> Int {
        Int(Date().timeIntervalSince1970)
    }
}
