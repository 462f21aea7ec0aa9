/// Turns an upstream OpenAI-API event stream into the one the client asked for: `model` set back
/// to the client's alias, the usage chunk removed when the client did not ask for it (Relay
/// always asks upstream), and a usage chunk estimated by Relay when the upstream ignored the ask.
package struct OpenAIStreamRelay: Sendable {
    private let modelJSON: [UInt8]
    private let alias: String
    private let upstreamModel: String
    private let clientWantsUsage: Bool
    private let promptEstimate: Int

    /// The usage the upstream reported, if it did.
    package private(set) var reportedUsage: Usage?
    package private(set) var sawDone = false
    /// Set when the upstream sent an error event inside the stream.
    package private(set) var sawError = false
    /// Set when the upstream sent an event whose data is not JSON: the stream ends there.
    package private(set) var sawMalformed = false
    private var contentChunks = 0
    private var contentBytes = 0
    private var lastID: [UInt8]?
    private var lastObject: [UInt8]?
    private var lastCreated: [UInt8]?

    /// - Parameter upstreamModel: the name the upstream knows the model by, never shown to the
    ///   client (an error event's message names the alias instead).
    package init(alias: String, upstreamModel: String, clientWantsUsage: Bool, promptEstimate: Int) {
        self.modelJSON = JSONString.encode(alias)
        self.alias = alias
        self.upstreamModel = upstreamModel
        self.clientWantsUsage = clientWantsUsage
        self.promptEstimate = promptEstimate
    }

    /// The usage to settle on: the upstream's, else Relay's estimate of what was produced so far.
    package var usage: Usage {
        reportedUsage
            ?? Usage.streamEstimate(prompt: promptEstimate, textPieces: contentChunks, textBytes: contentBytes)
    }

    /// The bytes to send the client for one upstream event (empty: send nothing).
    package mutating func translate(_ event: SSEFrameParser.Event, into out: inout [UInt8]) {
        guard let data = event.data, !sawDone, !sawMalformed, !sawError else { return }
        if data.elementsEqual("[DONE]".utf8) {
            sawDone = true
            if clientWantsUsage, reportedUsage == nil { appendEstimatedUsageChunk(to: &out) }
            Self.appendEvent(Array("[DONE]".utf8), to: &out)
            return
        }
        guard let chunk = try? OpenAIStreamChunk(scanning: data) else {
            // An SDK would fail on it: end the stream with an error event instead (before the
            // first event this makes Relay fall back).
            sawMalformed = true
            sawError = true
            let message = "The upstream sent a stream event that is not JSON."
            Self.appendEvent(OpenAIErrorBody.upstreamFailed(message), to: &out)
            return
        }
        if chunk.hasError {
            // The stream's end: the error event, its upstream model name hidden, and no `[DONE]`
            // after it whatever the upstream sends next.
            sawError = true
            Self.appendEvent(errorEvent(data), to: &out)
            return
        }
        Self.keep(chunk.id, of: data, in: &lastID)
        Self.keep(chunk.object, of: data, in: &lastObject)
        Self.keep(chunk.created, of: data, in: &lastCreated)
        countContent(chunk.firstChoiceText, of: data)
        if let range = chunk.usage, let usage = Usage(data, range: range) {
            reportedUsage = usage
            if (chunk.choiceCount ?? 0) == 0, !clientWantsUsage { return }
        }
        // The event as the upstream sent it, with each `model` value (a duplicate key too)
        // replaced by the client's alias: every other byte copied as it came.
        out.reserveCapacity(out.count + data.count + modelJSON.count + 8)
        out.append(contentsOf: "data: ".utf8)
        chunk.models.splice(data, replacingWith: modelJSON, into: &out)
        out.append(UInt8(ascii: "\n"))
        out.append(UInt8(ascii: "\n"))
    }

    /// An upstream's error event as the client gets it: Relay's error shape, with the upstream's
    /// message where it gave one, scrubbed (`UpstreamErrorScrubber`).
    private func errorEvent(_ data: [UInt8]) -> [UInt8] {
        let upstreamMessage = (try? JSONScanner.object(in: data))?.object("error").flatMap { $0.string("message") }
        let message = UpstreamErrorScrubber.scrub(
            upstreamMessage ?? "The upstream reported an error inside the stream.",
            upstreamModel: upstreamModel,
            alias: alias
        )
        return OpenAIErrorBody.upstreamFailed(message)
    }

    /// Copies a member's value, unless it is the one already kept (as it is in every chunk of a
    /// stream after the first): no allocation per chunk.
    private static func keep(_ range: Range<Int>?, of data: [UInt8], in kept: inout [UInt8]?) {
        guard let range else { return }
        if let kept, kept.withUnsafeBufferPointer({ data.bytes(in: range, equal: $0) }) { return }
        kept = Array(data[range])
    }

    /// Counts a chunk's text (a JSON string, its length as sent) towards Relay's estimate.
    private mutating func countContent(_ text: Range<Int>?, of data: [UInt8]) {
        guard let text, text.count > 2, data[text.lowerBound] == UInt8(ascii: "\"") else { return }
        contentChunks += 1
        contentBytes += text.count - 2
    }

    private func appendEstimatedUsageChunk(to out: inout [UInt8]) {
        var chunk: [UInt8] = Array("{\"id\":".utf8)
        chunk += lastID ?? Array("\"relay-usage\"".utf8)
        chunk += Array(",\"object\":".utf8) + (lastObject ?? Array("\"chat.completion.chunk\"".utf8))
        chunk += Array(",\"created\":".utf8) + (lastCreated ?? Array("0".utf8))
        chunk += Array(",\"model\":".utf8) + modelJSON
        chunk += Array(",\"choices\":[],\"usage\":".utf8) + usage.json + [UInt8(ascii: "}")]
        Self.appendEvent(chunk, to: &out)
    }

    package static func appendEvent(_ data: [UInt8], to out: inout [UInt8]) {
        out.reserveCapacity(out.count + data.count + 8)
        out.append(contentsOf: "data: ".utf8)
        out.append(contentsOf: data)
        out.append(UInt8(ascii: "\n"))
        out.append(UInt8(ascii: "\n"))
    }
}
