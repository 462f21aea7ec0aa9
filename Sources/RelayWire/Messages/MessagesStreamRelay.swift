/// Passes a Messages event stream through from a backend that serves Anthropic's Messages API
/// itself: each event as the upstream sent it, but `message_start`'s model set back to the
/// client's alias and an error event's message scrubbed; the usage read on the way
/// (`message_start` has the input tokens, `message_delta` the output so far).
package struct MessagesStreamRelay: Sendable {
    private let alias: String
    private let upstreamModel: String
    private let promptEstimate: Int

    package private(set) var reportedUsage: Usage?
    /// `message_stop` arrived: the stream ended properly.
    package private(set) var sawStop = false
    /// The upstream sent an error event, or an event that is not JSON: nothing more is sent.
    package private(set) var sawError = false
    private var textBytes = 0
    private var textDeltas = 0

    package init(alias: String, upstreamModel: String, promptEstimate: Int) {
        self.alias = alias
        self.upstreamModel = upstreamModel
        self.promptEstimate = promptEstimate
    }

    /// The usage to settle on: the upstream's, else Relay's estimate of what was produced so far.
    package var usage: Usage {
        reportedUsage ?? Usage.streamEstimate(prompt: promptEstimate, textPieces: textDeltas, textBytes: textBytes)
    }

    /// The bytes to send the client for one upstream event (empty: send nothing).
    package mutating func translate(_ event: SSEFrameParser.Event, into out: inout [UInt8]) {
        guard let data = event.data, !sawStop, !sawError else { return }
        // The type names the event line too: only a plain name, so no event can be smuggled in.
        guard let object = try? JSONScanner.object(in: data), let type = object.string("type"),
            !type.isEmpty, type.utf8.allSatisfy({ $0 == UInt8(ascii: "_") || ($0 >= 0x61 && $0 <= 0x7A) })
        else {
            sawError = true
            SSENamedEvent.append(
                "error",
                data: MessagesErrorBody.bytes(
                    type: "api_error", message: "The upstream sent a stream event that is not JSON."),
                to: &out
            )
            return
        }
        switch type {
        case "message_start":
            guard let message = object.object("message") else { break }
            if let usage = message.object("usage").flatMap(Usage.init(messagesUsage:)) { reportedUsage = usage }
            var rewritten = JSONObjectRewriter(message)
            rewritten.set("model", to: JSONString.encode(alias))
            var event = JSONObjectRewriter(object)
            event.set("message", to: rewritten.bytes())
            SSENamedEvent.append(type, data: event.bytes(), to: &out)
            return
        case "content_block_delta":
            if let text = object.object("delta")?.member("text") {
                textDeltas += 1
                textBytes += text.valueRange.count
            }
        case "message_delta":
            if let usage = object.object("usage") {
                // The output count is the total so far; the input count comes again only from some servers.
                let prompt = Usage(messagesUsage: usage)?.promptTokens ?? reportedUsage?.promptTokens ?? promptEstimate
                reportedUsage = Usage(promptTokens: prompt, completionTokens: usage.int("output_tokens") ?? 0)
            }
        case "message_stop":
            sawStop = true
        case "error":
            sawError = true
            let upstreamMessage = object.object("error")?.string("message")
            let message = UpstreamErrorScrubber.scrub(
                upstreamMessage ?? "The upstream reported an error inside the stream.",
                upstreamModel: upstreamModel,
                alias: alias
            )
            let errorType = object.object("error")?.string("type") ?? "api_error"
            SSENamedEvent.append(type, data: MessagesErrorBody.bytes(type: errorType, message: message), to: &out)
            return
        default:
            break
        }
        SSENamedEvent.append(type, data: data, to: &out)
    }

    /// Anthropic's `event: error`, for a stream cut short after its first event.
    package static func failureEvent(_ message: String) -> [UInt8] {
        var out: [UInt8] = []
        SSENamedEvent.append("error", data: MessagesErrorBody.bytes(type: "api_error", message: message), to: &out)
        return out
    }

}
