/// Turns an OpenAI chat completion stream into OpenAI's Responses stream, event by event.
///
/// The output, each event `event: <type>\ndata: <json>\n\n`, each data with its `type` and a
/// `sequence_number` counting from 0: `response.created` and `response.in_progress` (the
/// response in progress, no output) at the first upstream chunk; for each run of text a message
/// item (`response.output_item.added`, `response.content_part.added`, `response.output_text.delta`
/// with the text's pieces as the upstream sent them, `response.output_text.done`,
/// `response.content_part.done`, `response.output_item.done`); for each tool call a
/// `function_call` item (`response.output_item.added`, `response.function_call_arguments.delta`
/// with the arguments' pieces, `response.function_call_arguments.done`,
/// `response.output_item.done`); at the end `response.completed` with the whole response, as
/// `ChatToResponses` writes it, and the usage. A response cut short by `max_output_tokens` (or
/// a content filter) ends with `response.incomplete` instead, as OpenAI's own streams do.
///
/// The end is written at `[DONE]`, not at the chunk with `finish_reason`: the usage chunk comes
/// between the two. A stream that ends without `[DONE]` after a `finish_reason` is closed the
/// same way by `finish(into:)`; one cut off before it ends with `response.failed`, so a client
/// never takes half an answer for a whole one. An upstream's error event, or an event that is
/// not JSON, becomes `response.failed` (its message scrubbed of the upstream model's name and of
/// internal locations, as a `server_error`, the items completed so far as its output) and
/// nothing follows it. Reasoning text (`reasoning_content`) is counted in the estimate but not
/// sent. The text and arguments of the open item are kept until it is done (its `done` events
/// repeat them), and the done items until the end (the final response holds them all): the
/// answer itself, bounded by the completion budget.
///
/// ```swift
/// var writer = ResponsesStreamWriter(
///     id: "resp_…", alias: "gpt-local", upstreamModel: "qwen2.5-7b", createdAt: now,
///     promptEstimate: 120, request: request)
/// var out: [UInt8] = []
/// for event in parser.append(buffer) { writer.translate(event, into: &out) }  // each read
/// writer.finish(into: &out)                                                    // the body ended
/// limiter.settle(writer.usage)
/// if let body = writer.finalResponse { store(id, body: body, outputItems: writer.outputItems) }
/// ```
package struct ResponsesStreamWriter: Sendable {
    private enum Item: Sendable, Equatable {
        case none
        case message
        /// A tool call: its `index` among the chat deltas' `tool_calls`, and the id the upstream
        /// gave it (`nil` when Relay made one up).
        case functionCall(chatIndex: Int, upstreamID: [UInt8]?)
    }

    private let id: String
    private let alias: String
    private let upstreamModel: String
    private let createdAt: Int
    private let promptEstimate: Int
    private let echo: ResponsesEcho
    private var started = false
    private var sequenceNumber = 0
    /// The done items.
    private var output = JSONArrayBuilder()
    private var item = Item.none
    private var itemID = ""
    /// The open item's text or arguments so far: the bytes between the quotes of the upstream's
    /// pieces, joined (escapes never straddle two pieces, so the join is a string's inside too).
    private var itemText: [UInt8] = []
    private var callID: [UInt8] = []
    private var callName: [UInt8] = []
    /// The chat `index` of each tool call whose item is done.
    private var endedToolCalls: Set<Int> = []
    private var sawFinishReason = false
    private var finishReason: String?
    private var reportedUsage: Usage?
    private var outputPieces = 0
    private var outputBytes = 0

    /// `response.completed` (or `response.incomplete`) was written: the client has the whole response.
    package private(set) var sawEnd = false
    /// The stream ended with `response.failed` (the upstream's error, or Relay's for a broken stream).
    package private(set) var sawError = false
    /// The response of the last event (`response.completed`, `.incomplete` or `.failed`), as
    /// `GET /v1/responses/{id}` returns it; `nil` until the stream has ended.
    package private(set) var finalResponse: [UInt8]?

    /// Nothing more will be written, whatever else arrives.
    package var isFinished: Bool { sawEnd || sawError }

    /// The JSON array of the output items done so far (all of them, once the stream has ended),
    /// for `ResponsesConversation.history`.
    package var outputItems: [UInt8] { output.bytes() }

    /// The usage to settle on: the upstream's usage chunk's counts, else the prompt estimate and
    /// an estimate of the output so far.
    package var usage: Usage {
        reportedUsage
            ?? Usage(
                promptTokens: promptEstimate,
                completionTokens: max(outputPieces, TokenEstimate.tokens(forBytes: outputBytes)),
                estimated: true
            )
    }

    /// - Parameters:
    ///   - id: the response's id, which Relay made and stores it under.
    ///   - alias: the model name the client asked for, the response's `model`.
    ///   - upstreamModel: the backend's name for it, replaced by `alias` in error messages.
    ///   - createdAt: the response's `created_at`, in seconds since 1970.
    ///   - promptEstimate: Relay's estimate of the prompt's tokens, for settling when the
    ///     upstream reports no usage.
    ///   - request: the client's Responses request, whose settings the response echoes.
    package init(
        id: String,
        alias: String,
        upstreamModel: String,
        createdAt: Int,
        promptEstimate: Int,
        request: ClientRequest
    ) {
        self.id = id
        self.alias = alias
        self.upstreamModel = upstreamModel
        self.createdAt = createdAt
        self.promptEstimate = promptEstimate
        self.echo = ResponsesEcho(request)
    }

    /// Appends the events for one upstream event to `out` (none, for a comment or a chunk
    /// that says nothing new).
    package mutating func translate(_ event: SSEFrameParser.Event, into out: inout [UInt8]) {
        guard !isFinished, let data = event.data else { return }
        if data.elementsEqual("[DONE]".utf8) {
            end(into: &out)
            return
        }
        guard let chunk = try? JSONScanner.object(in: data) else {
            fail("The upstream sent a stream event that is not JSON.", into: &out)
            return
        }
        if let error = chunk.member("error"), chunk.kind(of: error.valueRange) != .null {
            fail(upstreamErrorMessage(of: chunk), into: &out)
            return
        }
        if !started { start(into: &out) }
        if let member = chunk.member("usage"), let usage = Usage(data, range: member.valueRange) {
            reportedUsage = usage
        }
        // A Responses client never asks for more choices than the first.
        guard let first = chunk.array("choices")?.first, chunk.kind(of: first) == .object,
            let choice = try? JSONScanner.object(in: data, range: first)
        else { return }
        if let delta = choice.object("delta") {
            read(delta, into: &out)
            guard !isFinished else { return }
        }
        if let finish = choice.member("finish_reason"), choice.kind(of: finish.valueRange) != .null {
            sawFinishReason = true
            finishReason = choice.string("finish_reason")
            endItem(into: &out)
        }
    }

    /// Called when the upstream's body has ended: closes the response when the upstream said it
    /// was finished (`finish_reason`) but sent no `[DONE]`, else ends with `response.failed`.
    package mutating func finish(into out: inout [UInt8]) {
        guard !isFinished else { return }
        if sawFinishReason {
            end(into: &out)
        } else {
            fail("The upstream's stream ended before the answer was complete.", into: &out)
        }
    }

    // MARK: Reading chunks

    private mutating func read(_ delta: JSONObject, into out: inout [UInt8]) {
        for key in ["reasoning_content", "reasoning"] {
            if let reasoning = delta.member(key), delta.kind(of: reasoning.valueRange) == .string {
                countOutput(reasoning.valueRange)
            }
        }
        if let content = delta.member("content"), delta.kind(of: content.valueRange) == .string,
            content.valueRange.count > 2
        {
            countOutput(content.valueRange)
            if item != .message {
                endItem(into: &out)
                startMessage(into: &out)
            }
            appendDelta(delta.bytes[content.valueRange], into: &out)
        }
        guard let calls = delta.array("tool_calls") else { return }
        for (position, range) in calls.enumerated() {
            guard delta.kind(of: range) == .object, let call = try? JSONScanner.object(in: delta.bytes, range: range)
            else {
                fail("The upstream sent a tool call that is not an object.", into: &out)
                return
            }
            readToolCall(call, position: position, into: &out)
            guard !isFinished else { return }
        }
    }

    /// One element of a delta's `tool_calls`: the start of a call (its id and name) and a piece
    /// of its arguments, or a further piece. A new `index`, or a new id at the same `index`
    /// (servers that number every call 0), starts a new call.
    private mutating func readToolCall(_ call: JSONObject, position: Int, into out: inout [UInt8]) {
        let chatIndex = call.int("index") ?? position
        let function = call.object("function")
        let id = Self.nonEmptyString("id", of: call)
        let name = function.flatMap { Self.nonEmptyString("name", of: $0) }
        var sameCall = false
        if case .functionCall(let current, let currentID) = item, current == chatIndex {
            if let id, let currentID { sameCall = call.bytes[id].elementsEqual(currentID) } else { sameCall = true }
        }
        if !sameCall {
            if id == nil, endedToolCalls.contains(chatIndex) {
                fail("The upstream sent more of a tool call after it had ended.", into: &out)
                return
            }
            guard let name else {
                fail("The upstream started a tool call without a name.", into: &out)
                return
            }
            endItem(into: &out)
            startFunctionCall(
                chatIndex: chatIndex, upstreamID: id.map { Array(call.bytes[$0]) }, name: Array(call.bytes[name]),
                into: &out)
        }
        if let function, let arguments = function.member("arguments"),
            function.kind(of: arguments.valueRange) == .string, arguments.valueRange.count > 2
        {
            countOutput(arguments.valueRange)
            appendDelta(call.bytes[arguments.valueRange], into: &out)
        }
    }

    private static func nonEmptyString(_ key: String, of object: JSONObject) -> Range<Int>? {
        guard let member = object.member(key), object.kind(of: member.valueRange) == .string,
            member.valueRange.count > 2
        else { return nil }
        return member.valueRange
    }

    /// Counts a piece of output text (a JSON string literal, its length as sent) for the estimate.
    private mutating func countOutput(_ literal: Range<Int>) {
        outputPieces += 1
        outputBytes += literal.count - 2
    }

    private func upstreamErrorMessage(of chunk: JSONObject) -> String {
        let message = chunk.object("error")?.string("message") ?? chunk.string("error")
        return UpstreamErrorScrubber.scrub(
            message ?? "The upstream reported an error inside the stream.",
            upstreamModel: upstreamModel,
            alias: alias
        )
    }

    // MARK: Writing events

    /// The response's status when it ends, and why it is incomplete.
    private var endStatus: (status: String, incompleteReason: String?) {
        switch finishReason {
        case "length": ("incomplete", "max_output_tokens")
        case "content_filter": ("incomplete", "content_filter")
        default: ("completed", nil)
        }
    }

    private mutating func start(into out: inout [UInt8]) {
        started = true
        let response = echo.response(
            id: id, alias: alias, createdAt: createdAt, status: "in_progress", output: Array("[]".utf8), usage: nil)
        for type in ["response.created", "response.in_progress"] {
            var opened = event(type)
            opened.add("response", raw: response)
            append(opened, named: type, to: &out)
        }
    }

    private mutating func startMessage(into out: inout [UInt8]) {
        item = .message
        itemID = ResponsesOutputItem.messageID()
        itemText = []
        var added = event("response.output_item.added")
        added.add("output_index", int: output.count)
        added.add(
            "item", raw: ResponsesOutputItem.message(id: itemID, status: "in_progress", content: Array("[]".utf8)))
        append(added, named: "response.output_item.added", to: &out)
        var part = itemEvent("response.content_part.added")
        part.add("content_index", int: 0)
        part.add("part", raw: ResponsesOutputItem.outputText("\"\"".utf8))
        append(part, named: "response.content_part.added", to: &out)
    }

    private mutating func startFunctionCall(
        chatIndex: Int,
        upstreamID: [UInt8]?,
        name: [UInt8],
        into out: inout [UInt8]
    ) {
        item = .functionCall(chatIndex: chatIndex, upstreamID: upstreamID)
        itemID = ResponsesOutputItem.functionCallID()
        itemText = []
        callID = upstreamID ?? ResponsesOutputItem.callID()
        callName = name
        var added = event("response.output_item.added")
        added.add("output_index", int: output.count)
        added.add(
            "item",
            raw: ResponsesOutputItem.functionCall(
                id: itemID, status: "in_progress", callID: callID, name: callName, arguments: "\"\"".utf8))
        append(added, named: "response.output_item.added", to: &out)
    }

    /// A delta of the open item; `literal` is the upstream's JSON string.
    private mutating func appendDelta(_ literal: ArraySlice<UInt8>, into out: inout [UInt8]) {
        itemText += literal.dropFirst().dropLast()
        if item == .message {
            var delta = itemEvent("response.output_text.delta")
            delta.add("content_index", int: 0)
            delta.add("delta", raw: literal)
            delta.add("logprobs", raw: "[]".utf8)
            append(delta, named: "response.output_text.delta", to: &out)
        } else {
            var delta = itemEvent("response.function_call_arguments.delta")
            delta.add("delta", raw: literal)
            append(delta, named: "response.function_call_arguments.delta", to: &out)
        }
    }

    /// The open item's `done` events; the item joins the output.
    private mutating func endItem(into out: inout [UInt8]) {
        let status = endStatus.status
        var literal: [UInt8] = [UInt8(ascii: "\"")]
        literal += itemText
        literal.append(UInt8(ascii: "\""))
        let done: [UInt8]
        switch item {
        case .none:
            return
        case .message:
            var text = itemEvent("response.output_text.done")
            text.add("content_index", int: 0)
            text.add("text", raw: literal)
            text.add("logprobs", raw: "[]".utf8)
            append(text, named: "response.output_text.done", to: &out)
            let part = ResponsesOutputItem.outputText(literal)
            var partDone = itemEvent("response.content_part.done")
            partDone.add("content_index", int: 0)
            partDone.add("part", raw: part)
            append(partDone, named: "response.content_part.done", to: &out)
            var content = JSONArrayBuilder()
            content.append(raw: part)
            done = ResponsesOutputItem.message(id: itemID, status: status, content: content.bytes())
        case .functionCall(let chatIndex, _):
            endedToolCalls.insert(chatIndex)
            var arguments = itemEvent("response.function_call_arguments.done")
            arguments.add("name", raw: callName)
            arguments.add("arguments", raw: literal)
            append(arguments, named: "response.function_call_arguments.done", to: &out)
            done = ResponsesOutputItem.functionCall(
                id: itemID, status: status, callID: callID, name: callName, arguments: literal)
        }
        var itemDone = event("response.output_item.done")
        itemDone.add("output_index", int: output.count)
        itemDone.add("item", raw: done)
        append(itemDone, named: "response.output_item.done", to: &out)
        output.append(raw: done)
        item = .none
        itemText = []
    }

    /// The response's end: the open item's `done` events, an empty message when there was no
    /// output at all (so `output_text` is there to read), and `response.completed` (or
    /// `response.incomplete`).
    private mutating func end(into out: inout [UInt8]) {
        if !started { start(into: &out) }
        endItem(into: &out)
        if output.count == 0 {
            startMessage(into: &out)
            endItem(into: &out)
        }
        let (status, incompleteReason) = endStatus
        let response = echo.response(
            id: id, alias: alias, createdAt: createdAt, status: status, output: output.bytes(), usage: usage,
            incompleteReason: incompleteReason)
        let type = status == "completed" ? "response.completed" : "response.incomplete"
        var ended = event(type)
        ended.add("response", raw: response)
        append(ended, named: type, to: &out)
        finalResponse = response
        sawEnd = true
    }

    /// `response.failed`, after `response.created` and `response.in_progress` when nothing was
    /// written yet, so that every stream starts the same way.
    private mutating func fail(_ message: String, into out: inout [UInt8]) {
        if !started { start(into: &out) }
        let response = echo.response(
            id: id, alias: alias, createdAt: createdAt, status: "failed", output: output.bytes(), usage: usage,
            errorMessage: message)
        var failed = event("response.failed")
        failed.add("response", raw: response)
        append(failed, named: "response.failed", to: &out)
        finalResponse = response
        sawError = true
    }

    /// An event's data: its `type` and the next `sequence_number`.
    private mutating func event(_ type: String) -> JSONObjectBuilder {
        var event = JSONObjectBuilder()
        event.add("type", string: type)
        event.add("sequence_number", int: sequenceNumber)
        sequenceNumber += 1
        return event
    }

    /// An event about the open item: `event(type)` with its `item_id` and `output_index`.
    private mutating func itemEvent(_ type: String) -> JSONObjectBuilder {
        var about = event(type)
        about.add("item_id", string: itemID)
        about.add("output_index", int: output.count)
        return about
    }

    private func append(_ event: JSONObjectBuilder, named name: String, to out: inout [UInt8]) {
        SSENamedEvent.append(name, data: event.bytes(), to: &out)
    }
}
