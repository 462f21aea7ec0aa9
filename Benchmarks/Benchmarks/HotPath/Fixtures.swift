/// Bodies the benchmarks feed the hot path: shaped like what OpenAI SDK clients send and what
/// vLLM and Ollama answer, byte for byte in their wire format.
enum Fixtures {
    /// A typical chat request: a system prompt, one question, a few sampling fields (~330 bytes).
    static let smallChatBody = Array(
        #"""
        {"model":"qwen2.5","messages":[{"role":"system","content":"You are a helpful assistant. Answer briefly."},\#
        {"role":"user","content":"Summarise the plot of Hamlet in three sentences, without spoilers for the last act."}],\#
        "temperature":0.7,"top_p":0.95,"max_tokens":256,"stream":false,"user":"user-1234"}
        """#.utf8)

    /// A long conversation as a chat UI sends it: 40 turns, escapes and non-ASCII text in the
    /// content, streamed with the usage chunk asked for (~32 KB).
    static let largeChatBody: [UInt8] = {
        let paragraph =
            #"The \"relay\" forwards each request unchanged except for the model name.\n"#
            + #"Latency budget: < 100 µs per hop; naïve copies cost more than you'd think. "#
        var messages = [#"{"role":"system","content":"You are a careful reviewer of distributed systems designs."}"#]
        var turn = 0
        while messages.joined(separator: ",").utf8.count < 32 * 1024 - 400 {
            let role = turn.isMultiple(of: 2) ? "user" : "assistant"
            let content = String(repeating: paragraph, count: 4)
            messages.append(#"{"role":"\#(role)","content":"Turn \#(turn): \#(content)"}"#)
            turn += 1
        }
        let body =
            #"{"model":"qwen2.5","messages":[\#(messages.joined(separator: ","))],"temperature":0.2,"#
            + #""max_completion_tokens":1024,"stream":true,"stream_options":{"include_usage":true},"#
            + #""tools":[{"type":"function","function":{"name":"lookup","parameters":{"type":"object"}}}]}"#
        return Array(body.utf8)
    }()

    /// A complete (non-streamed) vLLM `chat.completion` (~900 bytes).
    static let chatCompletionAnswer = Array(
        #"""
        {"id":"chatcmpl-9f2c1b6e8a4d4c0f9b3e2a1d7c6b5a40","object":"chat.completion","created":1732590000,\#
        "model":"Qwen/Qwen2.5-7B-Instruct","choices":[{"index":0,"message":{"role":"assistant","reasoning_content":null,\#
        "content":"Prince Hamlet learns from his father's ghost that his uncle Claudius murdered the king and married \#
        his mother. Feigning madness, Hamlet tests the truth with a play that re-enacts the crime, while his hesitation \#
        and a rash killing set tragedy in motion. Old loyalties fracture as Denmark's court slides toward ruin.",\#
        "tool_calls":[]},"logprobs":null,"finish_reason":"stop","stop_reason":null}],\#
        "usage":{"prompt_tokens":48,"total_tokens":117,"completion_tokens":69,"prompt_tokens_details":null},\#
        "prompt_logprobs":null,"kv_transfer_params":null}
        """#.utf8)

    /// Model chunks in the streamed answers: a role chunk, 62 content chunks, a finish chunk.
    static let streamChunks = 64

    /// A vLLM chat stream as it arrives, one upstream read per event: 64 `chat.completion.chunk`
    /// events, the usage chunk (Relay always asks for it) and `[DONE]`.
    static let vllmStreamReads: [[UInt8]] = {
        let head =
            #""id":"chatcmpl-9f2c1b6e8a4d4c0f","object":"chat.completion.chunk","created":1732590000,"#
            + #""model":"Qwen/Qwen2.5-7B-Instruct""#
        func event(_ json: String) -> [UInt8] { Array("data: \(json)\n\n".utf8) }
        func chunk(delta: String, finish: String) -> [UInt8] {
            event(#"{\#(head),"choices":[{"index":0,"delta":\#(delta),"logprobs":null,"finish_reason":\#(finish)}]}"#)
        }
        var reads = [chunk(delta: #"{"role":"assistant","content":""}"#, finish: "null")]
        for index in 1...(streamChunks - 2) {
            reads.append(chunk(delta: #"{"content":"\#(word(index))"}"#, finish: "null"))
        }
        reads.append(chunk(delta: "{}", finish: #""stop""#))
        reads.append(
            event(#"{\#(head),"choices":[],"usage":{"prompt_tokens":48,"total_tokens":110,"completion_tokens":62}}"#))
        reads.append(Array("data: [DONE]\n\n".utf8))
        return reads
    }()

    /// An Ollama `/api/chat` stream as it arrives, one upstream read per NDJSON line: 63 content
    /// lines and the final `done` line with Ollama's counts.
    static let ollamaStreamReads: [[UInt8]] = {
        func line(_ json: String) -> [UInt8] { Array("\(json)\n".utf8) }
        var reads: [[UInt8]] = []
        for index in 0..<(streamChunks - 1) {
            reads.append(
                line(
                    #"{"model":"qwen2.5:7b","created_at":"2026-11-26T04:00:00.\#(100_000_000 + index)Z","#
                        + #""message":{"role":"assistant","content":"\#(word(index))"},"done":false}"#))
        }
        reads.append(
            line(
                #"{"model":"qwen2.5:7b","created_at":"2026-11-26T04:00:01.5Z","message":{"role":"assistant","#
                    + #""content":""},"done_reason":"stop","done":true,"total_duration":1534000000,"#
                    + #""load_duration":21000000,"prompt_eval_count":48,"prompt_eval_duration":80000000,"#
                    + #""eval_count":63,"eval_duration":1400000000}"#))
        return reads
    }()

    /// A token's worth of text, as models stream it.
    private static func word(_ index: Int) -> String {
        let words = [
            " The", " prince", " learns", " of", " murder", ",", " feigns", " madness", " and", " wavers", ".",
        ]
        return words[index % words.count]
    }
}
