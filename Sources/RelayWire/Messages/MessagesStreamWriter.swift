/// Turns an OpenAI chat completion stream into Anthropic's Messages stream, event by event.
///
/// The output, each event `event: <type>\ndata: <json>\n\n`: `message_start` (an empty message
/// under the client's alias, `usage.input_tokens` Relay's prompt estimate, as the real count
/// comes only with the upstream's last chunk) and a `ping` at the first upstream chunk; for each
/// run of text and each tool call a block, `content_block_start`, its deltas (`text_delta`, or
/// `input_json_delta` with the arguments' pieces as the upstream sent them) and
/// `content_block_stop`, numbered from 0; at the end `message_delta` (`stop_reason`, as
/// `MessagesStopReason` maps it, and the usage) and `message_stop`.
///
/// The end is written at `[DONE]`, not at the chunk with `finish_reason`: the usage chunk comes
/// between the two. A stream that ends without `[DONE]` after a `finish_reason` is closed the
/// same way by `finish(into:)`; one cut off before it ends with an `error` event instead, so a
/// client never takes half an answer for a whole one. An upstream's error event, or an event
/// that is not JSON, becomes an `error` event (its message scrubbed of the upstream model's name
/// and of internal locations) and nothing follows it. Reasoning text (`reasoning_content`) is
/// counted in the estimate but not sent: the client did not ask for thinking.
///
/// ```swift
/// var writer = MessagesStreamWriter(alias: "claude-local", upstreamModel: "qwen2.5-7b", promptEstimate: 120)
/// var out: [UInt8] = []
/// for event in parser.append(buffer) { writer.translate(event, into: &out) }  // each read
/// writer.finish(into: &out)                                                    // the body ended
/// limiter.settle(writer.usage)
/// ```
package struct MessagesStreamWriter: Sendable {
    private enum Block: Sendable, Equatable {
        case none
        case text
        /// A tool call: its `index` among the chat deltas' `tool_calls`, and the id the upstream
        /// gave it (`nil` when Relay made one up).
        case toolUse(chatIndex: Int, upstreamID: [UInt8]?)
    }

    private let alias: String
    private let upstreamModel: String
    private let promptEstimate: Int
    private var started = false
    private var block = Block.none
    /// Blocks started so far: the open block's index is one less.
    private var blockCount = 0
    /// The chat `index` of each tool call whose block has ended.
    private var endedToolCalls: Set<Int> = []
    private var calledTools = false
    private var sawFinishReason = false
    private var finishReason: String?
    private var stopString: String?
    private var reportedUsage: Usage?
    private var outputPieces = 0
    private var outputBytes = 0

    /// `message_stop` was written: the client has the whole message.
    package private(set) var sawStop = false
    /// The stream ended with an `error` event (the upstream's, or Relay's for a broken stream).
    package private(set) var sawError = false

    /// Nothing more will be written, whatever else arrives.
    package var isFinished: Bool { sawStop || sawError }

    /// The usage to settle on: the upstream's usage chunk's counts, else the prompt estimate and
    /// an estimate of the output so far.
    package var usage: Usage {
        reportedUsage ?? Usage.streamEstimate(prompt: promptEstimate, textPieces: outputPieces, textBytes: outputBytes)
    }

    /// - Parameters:
    ///   - alias: the model name the client asked for, the message's `model`.
    ///   - upstreamModel: the backend's name for it, replaced by `alias` in error messages.
    ///   - promptEstimate: Relay's estimate of the prompt's tokens, for `message_start` and for
    ///     settling when the upstream reports no usage.
    package init(alias: String, upstreamModel: String, promptEstimate: Int) {
        self.alias = alias
        self.upstreamModel = upstreamModel
        self.promptEstimate = promptEstimate
    }

    /// Appends the events for one upstream event to `out` (none, for a comment or a chunk
    /// that says nothing new).
    package mutating func translate(_ event: SSEFrameParser.Event, into out: inout [UInt8]) {
        guard !isFinished, let data = event.data else { return }
        if data.elementsEqual("[DONE]".utf8) {
            stop(into: &out)
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
        if !started { start(chatID: chunk.string("id"), into: &out) }
        if let member = chunk.member("usage"), let usage = Usage(data, range: member.valueRange) {
            reportedUsage = usage
        }
        // Messages has one answer: a client never asks for more choices than the first.
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
            stopString = choice.string("stop_reason")
            endBlock(into: &out)
        }
    }

    /// Called when the upstream's body has ended: closes the message when the upstream said it
    /// was finished (`finish_reason`) but sent no `[DONE]`, else ends with an `error` event.
    package mutating func finish(into out: inout [UInt8]) {
        guard !isFinished else { return }
        if sawFinishReason {
            stop(into: &out)
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
            if block != .text {
                endBlock(into: &out)
                var text = JSONObjectBuilder()
                text.add("type", string: "text")
                text.add("text", string: "")
                startBlock(text.bytes(), into: &out, as: .text)
            }
            appendDelta(type: "text_delta", key: "text", delta.bytes[content.valueRange], into: &out)
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
        if case .toolUse(let current, let currentID) = block, current == chatIndex {
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
            endBlock(into: &out)
            var toolUse = JSONObjectBuilder()
            toolUse.add("type", string: "tool_use")
            if let id {
                toolUse.add("id", raw: call.bytes[id])
            } else {
                toolUse.add("id", string: MessagesID.toolUse())
            }
            toolUse.add("name", raw: call.bytes[name])
            toolUse.add("input", raw: "{}".utf8)
            startBlock(
                toolUse.bytes(), into: &out,
                as: .toolUse(chatIndex: chatIndex, upstreamID: id.map { Array(call.bytes[$0]) }))
            calledTools = true
        }
        if let function, let arguments = function.member("arguments"),
            function.kind(of: arguments.valueRange) == .string, arguments.valueRange.count > 2
        {
            countOutput(arguments.valueRange)
            appendDelta(type: "input_json_delta", key: "partial_json", call.bytes[arguments.valueRange], into: &out)
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

    private mutating func start(chatID: String?, into out: inout [UInt8]) {
        started = true
        var usage = JSONObjectBuilder()
        usage.add("input_tokens", int: promptEstimate)
        usage.add("output_tokens", int: 0)
        var message = JSONObjectBuilder()
        message.add("id", string: MessagesID.message(fromChatID: chatID))
        message.add("type", string: "message")
        message.add("role", string: "assistant")
        message.add("model", string: alias)
        message.add("content", raw: "[]".utf8)
        message.addNull("stop_reason")
        message.addNull("stop_sequence")
        message.add("usage", raw: usage.bytes())
        var event = Self.event("message_start")
        event.add("message", raw: message.bytes())
        Self.append(event, named: "message_start", to: &out)
        Self.append(Self.event("ping"), named: "ping", to: &out)
    }

    private mutating func startBlock(_ contentBlock: [UInt8], into out: inout [UInt8], as kind: Block) {
        var event = Self.event("content_block_start")
        event.add("index", int: blockCount)
        event.add("content_block", raw: contentBlock)
        Self.append(event, named: "content_block_start", to: &out)
        blockCount += 1
        block = kind
    }

    /// A `content_block_delta` for the open block; `literal` is the upstream's JSON string.
    private func appendDelta(type: String, key: String, _ literal: ArraySlice<UInt8>, into out: inout [UInt8]) {
        var delta = JSONObjectBuilder()
        delta.add("type", string: type)
        delta.add(key, raw: literal)
        var event = Self.event("content_block_delta")
        event.add("index", int: blockCount - 1)
        event.add("delta", raw: delta.bytes())
        Self.append(event, named: "content_block_delta", to: &out)
    }

    private mutating func endBlock(into out: inout [UInt8]) {
        if case .toolUse(let chatIndex, _) = block { endedToolCalls.insert(chatIndex) }
        guard block != .none else { return }
        block = .none
        var event = Self.event("content_block_stop")
        event.add("index", int: blockCount - 1)
        Self.append(event, named: "content_block_stop", to: &out)
    }

    /// The message's end: the open block's, `message_delta` with the stop reason and usage, and
    /// `message_stop`.
    private mutating func stop(into out: inout [UInt8]) {
        if !started { start(chatID: nil, into: &out) }
        endBlock(into: &out)
        var delta = JSONObjectBuilder()
        MessagesStopReason(finishReason: finishReason, stopString: stopString, calledTools: calledTools).add(to: &delta)
        var event = Self.event("message_delta")
        event.add("delta", raw: delta.bytes())
        event.add("usage", raw: ChatToMessages.usageJSON(usage))
        Self.append(event, named: "message_delta", to: &out)
        Self.append(Self.event("message_stop"), named: "message_stop", to: &out)
        sawStop = true
    }

    private mutating func fail(_ message: String, into out: inout [UInt8]) {
        sawError = true
        Self.append(
            MessagesErrorBody.bytes(type: "api_error", message: message), named: "error", to: &out)
    }

    /// An event's data, its `type` first as Anthropic writes it.
    private static func event(_ type: String) -> JSONObjectBuilder {
        var event = JSONObjectBuilder()
        event.add("type", string: type)
        return event
    }

    private static func append(_ event: JSONObjectBuilder, named name: String, to out: inout [UInt8]) {
        append(event.bytes(), named: name, to: &out)
    }

    private static func append(_ data: [UInt8], named name: String, to out: inout [UInt8]) {
        SSENamedEvent.append(name, data: data, to: &out)
    }
}
