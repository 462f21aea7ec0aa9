import Benchmark
import RelayCore
import RelayWire

/// The per-request work on bodies: the client's request on the way in, the upstream's answer
/// on the way out, and streamed answers event by event.
func wireBenchmarks() {
    Benchmark("request: parse + model rewrite, small chat body") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(upstreamBody(Fixtures.smallChatBody)) }
    }

    Benchmark("request: parse + model rewrite, 32 KB chat body") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(upstreamBody(Fixtures.largeChatBody)) }
    }

    Benchmark("answer: parse + model rewrite, chat.completion") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(clientAnswer(Fixtures.chatCompletionAnswer)) }
    }

    Benchmark("stream: SSE framing + relay, 64-chunk vLLM stream") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(relayVLLMStream()) }
    }

    Benchmark("stream: NDJSON to SSE, 64-line Ollama chat stream") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(translateOllamaStream()) }
    }
}

/// What Relay sends a `vllm`/`openai` backend for a client body: the request parsed and checked,
/// `model` set to the upstream model and, for a stream, the usage chunk asked for (the same
/// steps as the gateway's OpenAI upstream, through the Wire API).
func upstreamBody(_ body: [UInt8]) -> [UInt8] {
    guard let request = try? ClientRequest(body: body) else { fatalError("fixture body does not parse") }
    var rewriter = JSONObjectRewriter(request.object)
    rewriter.set("model", to: JSONString.encode("Qwen/Qwen2.5-7B-Instruct"))
    if request.stream {
        var options = request.object.object("stream_options").map { JSONObjectRewriter($0) }
        options?.set("include_usage", to: Array("true".utf8))
        rewriter.set("stream_options", to: options?.bytes() ?? Array(#"{"include_usage":true}"#.utf8))
    }
    return rewriter.bytes()
}

/// The client's answer from a complete vLLM answer: `model` back to the alias, usage read.
func clientAnswer(_ body: [UInt8]) -> [UInt8] {
    // `try?`: the rewriter refuses error bodies; the fixture is a proper answer.
    guard let answer = try? OpenAIResponseRewriter.rewrite(body, alias: "qwen2.5", embeddingsAsBase64: false),
        answer.usage != nil
    else { fatalError("the fixture answer was not rewritten") }
    return answer.body
}

/// One whole vLLM stream through SSE framing and the stream relay, one upstream read at a time,
/// each read's output in a fresh buffer as the stream forwarder sends it. Returns bytes sent.
func relayVLLMStream() -> Int {
    var parser = SSEFrameParser()
    var relay = OpenAIStreamRelay(
        alias: "qwen2.5", upstreamModel: "Qwen/Qwen2.5-7B-Instruct", clientWantsUsage: false, promptEstimate: 48)
    var sent = 0
    for read in Fixtures.vllmStreamReads {
        var out: [UInt8] = []
        let events = read.withUnsafeBytes { parser.append($0) }
        for event in events { relay.translate(event, into: &out) }
        sent += out.count
    }
    precondition(relay.sawDone && relay.reportedUsage != nil, "the vLLM fixture stream did not end properly")
    return sent
}

/// One whole Ollama `/api/chat` stream through the NDJSON to SSE translator, one read per line.
func translateOllamaStream() -> Int {
    var translator = OllamaStreamTranslator(
        kind: .chat, alias: "qwen2.5", upstreamModel: "qwen2.5:7b", clientWantsUsage: false, promptEstimate: 48)
    var sent = 0
    for read in Fixtures.ollamaStreamReads {
        var out: [UInt8] = []
        translator.translate(read, into: &out)
        sent += out.count
    }
    precondition(translator.sawDone, "the Ollama fixture stream did not end properly")
    return sent
}
