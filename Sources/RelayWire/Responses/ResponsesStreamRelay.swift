/// Passes a Responses event stream through from a backend that serves OpenAI's Responses API
/// itself: each event as the upstream sent it, but the `response` object's `model` (in
/// `response.created`, `.in_progress`, `.completed`, `.incomplete`, `.failed`) set back to the
/// client's alias (and its `previous_response_id` the client's, for a follow-up Relay sent
/// expanded, without it), and an `error` event's message scrubbed. On the way it reads what Relay
/// needs: the usage of the final response, and that response and its output items, which Relay
/// stores for `previous_response_id` and `GET /v1/responses/{id}`.
///
/// Servers that leave out an item event's `output_index` or a content event's `content_index`
/// (llama-server does) get them filled in, counted from the `output_item.added` and
/// `content_part.added` events before: the OpenAI SDKs' stream helpers index by them.
///
/// A stream ends properly with `response.completed` or `response.incomplete`; a
/// `response.failed`, an `error` event or an event that is not JSON ends it as the upstream's
/// failure, and nothing after it is sent.
package struct ResponsesStreamRelay: Sendable {
    private let alias: String
    private let upstreamModel: String
    private let promptEstimate: Int
    private let previousResponseID: String?

    package private(set) var reportedUsage: Usage?
    /// `response.completed` or `response.incomplete` arrived.
    package private(set) var sawEnd = false
    /// The upstream failed inside the stream: nothing more is sent.
    package private(set) var sawError = false
    /// The response of `response.completed` or `.incomplete`, its model the alias.
    package private(set) var finalResponse: [UInt8]?
    /// That response's `id`.
    package private(set) var responseID: String?
    /// That response's `output`, a JSON array.
    package private(set) var outputItems: [UInt8]?
    private var textBytes = 0
    private var textDeltas = 0
    /// The position of the latest output item, and of the latest content part in it.
    private var outputIndex = -1
    private var contentIndex = -1

    /// Events about a content part, which the SDKs find by `content_index`.
    private static let contentEvents: Set<String> = [
        "response.content_part.added", "response.content_part.done", "response.output_text.delta",
        "response.output_text.done", "response.refusal.delta", "response.refusal.done",
    ]

    package init(alias: String, upstreamModel: String, promptEstimate: Int, previousResponseID: String? = nil) {
        self.alias = alias
        self.upstreamModel = upstreamModel
        self.promptEstimate = promptEstimate
        self.previousResponseID = previousResponseID
    }

    /// The usage to settle on: the upstream's, else Relay's estimate of what was produced so far.
    package var usage: Usage {
        reportedUsage ?? Usage.streamEstimate(prompt: promptEstimate, textPieces: textDeltas, textBytes: textBytes)
    }

    /// The bytes to send the client for one upstream event (empty: send nothing).
    package mutating func translate(_ event: SSEFrameParser.Event, into out: inout [UInt8]) {
        guard let data = event.data, !sawEnd, !sawError else { return }
        // The type names the event line too: only a plain name, so no event can be smuggled in.
        guard let object = try? JSONScanner.object(in: data), let type = object.string("type"), !type.isEmpty,
            type.utf8.allSatisfy({ $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || ($0 >= 0x61 && $0 <= 0x7A) })
        else {
            sawError = true
            out.append(contentsOf: Self.failureEvent("The upstream sent a stream event that is not JSON."))
            return
        }
        switch type {
        case "response.created", "response.in_progress", "response.completed", "response.incomplete",
            "response.failed":
            guard let response = object.object("response") else { break }
            let rewritten = rewrite(response)
            var event = JSONObjectRewriter(object)
            event.set("response", to: rewritten)
            SSENamedEvent.append(type, data: event.bytes(), to: &out)
            if type == "response.failed" {
                sawError = true
            } else if type != "response.created" && type != "response.in_progress" {
                sawEnd = true
                finalResponse = rewritten
                responseID = response.string("id")
                outputItems = response.member("output").map { Array(data[$0.valueRange]) }
                if let usage = response.object("usage").flatMap(Usage.init(responsesUsage:)) { reportedUsage = usage }
            }
            return
        case "response.output_text.delta", "response.function_call_arguments.delta":
            if let delta = object.member("delta") {
                textDeltas += 1
                textBytes += delta.valueRange.count
            }
        case "response.output_item.added":
            outputIndex += 1
            contentIndex = -1
        case "response.content_part.added":
            contentIndex += 1
        case "error":
            sawError = true
            let message = UpstreamErrorScrubber.scrub(
                object.string("message") ?? "The upstream reported an error inside the stream.",
                upstreamModel: upstreamModel,
                alias: alias
            )
            out.append(contentsOf: Self.failureEvent(message))
            return
        default:
            break
        }
        let needsOutputIndex =
            (object.member("item") != nil || object.member("item_id") != nil) && object.member("output_index") == nil
        let needsContentIndex = Self.contentEvents.contains(type) && object.member("content_index") == nil
        guard needsOutputIndex || needsContentIndex else {
            SSENamedEvent.append(type, data: data, to: &out)
            return
        }
        var indexed = JSONObjectRewriter(object)
        if needsOutputIndex { indexed.set("output_index", to: Array(String(max(outputIndex, 0)).utf8)) }
        if needsContentIndex { indexed.set("content_index", to: Array(String(max(contentIndex, 0)).utf8)) }
        SSENamedEvent.append(type, data: indexed.bytes(), to: &out)
    }

    /// The response object with its `model` the alias, and a failed response's error message
    /// scrubbed of the upstream model's name and of internal locations.
    private func rewrite(_ response: JSONObject) -> [UInt8] {
        var rewriter = JSONObjectRewriter(response)
        if response.member("model") != nil { rewriter.set("model", to: JSONString.encode(alias)) }
        if let previousResponseID { rewriter.set("previous_response_id", to: JSONString.encode(previousResponseID)) }
        if let error = response.object("error"), let message = error.string("message") {
            var scrubbed = JSONObjectRewriter(error)
            scrubbed.set(
                "message",
                to: JSONString.encode(
                    UpstreamErrorScrubber.scrub(message, upstreamModel: upstreamModel, alias: alias)))
            rewriter.set("error", to: scrubbed.bytes())
        }
        return rewriter.bytes()
    }

    /// OpenAI's `error` event, for a stream cut short after its first event.
    package static func failureEvent(_ message: String) -> [UInt8] {
        var data = JSONObjectBuilder()
        data.add("type", string: "error")
        data.add("code", string: "upstream_error")
        data.add("message", string: message)
        data.addNull("param")
        var out: [UInt8] = []
        SSENamedEvent.append("error", data: data.bytes(), to: &out)
        return out
    }
}
