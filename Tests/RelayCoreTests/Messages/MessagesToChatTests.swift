import Testing

@testable import RelayWire

@Suite struct MessagesToChatTests {
    private typealias Support = MessagesTestSupport

    @Test func aPlainRequestBecomesAChatRequestForTheUpstreamModel() throws {
        let chat = try Support.chat(
            #"{"model":"claude-local","max_tokens":1024,"messages":[{"role":"user","content":"Hello, \"world\" \u00e9"}]}"#
        )
        #expect(
            chat
                == #"{"model":"qwen2.5-7b","messages":[{"role":"user","content":"Hello, \"world\" \u00e9"}],"#
                + #""max_tokens":1024}"#)
    }

    @Test func theChatBodyParsesAgainWithTheUpstreamModel() throws {
        let body = try MessagesToChat.body(
            Support.request(#"{"model":"a","max_tokens":5,"stream":true,"messages":[{"role":"user","content":"x"}]}"#),
            upstreamModel: "Qwen/Qwen2.5-7B-Instruct \"q\"")
        let chat = try ClientRequest(body: body)
        #expect(chat.model == "Qwen/Qwen2.5-7B-Instruct \"q\"")
        #expect(chat.stream)
        #expect(chat.includeUsage)
        #expect(chat.maxTokens == 5)
    }

    @Test func aStreamAsksForTheUsageChunk() throws {
        let stream = try Support.chat(
            #"{"model":"m","max_tokens":8,"stream":true,"messages":[{"role":"user","content":"Hi"}]}"#)
        #expect(stream.hasSuffix(#""max_tokens":8,"stream":true,"stream_options":{"include_usage":true}}"#))
        let notStreamed = try Support.chat(
            #"{"model":"m","max_tokens":8,"stream":false,"messages":[{"role":"user","content":"Hi"}]}"#)
        #expect(notStreamed.hasSuffix(#""max_tokens":8,"stream":false}"#))
    }

    @Test func aSystemStringBecomesTheFirstMessage() throws {
        let chat = try Support.chat(
            #"{"model":"m","max_tokens":8,"system":"Be brief.","messages":[{"role":"user","content":"Hi"}]}"#)
        #expect(chat.contains(#""messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}]"#))
    }

    @Test func systemBlocksBecomeOneMessageTheirCacheHintsLeftOut() throws {
        let one = try Support.chat(
            #"{"model":"m","max_tokens":8,"system":[{"type":"text","text":"You are Claude Code.","#
                + #""cache_control":{"type":"ephemeral"}}],"messages":[{"role":"user","content":"Hi"}]}"#)
        #expect(one.contains(#""messages":[{"role":"system","content":"You are Claude Code."},"#))
        let two = try Support.chat(
            #"{"model":"m","max_tokens":8,"system":[{"type":"text","text":"A."},"#
                + #"{"type":"text","text":"B.","cache_control":{"type":"ephemeral","ttl":"1h"},"citations":null}],"#
                + #""messages":[{"role":"user","content":"Hi"}]}"#)
        #expect(
            two.contains(
                #""messages":[{"role":"system","content":[{"type":"text","text":"A."},{"type":"text","text":"B."}]},"#))
        let empty = try Support.chat(
            #"{"model":"m","max_tokens":8,"system":"","messages":[{"role":"user","content":"Hi"}]}"#)
        #expect(!empty.contains("system"))
    }

    @Test func samplingStopAndUserFieldsAreCarriedOver() throws {
        let chat = try Support.chat(
            #"{"model":"m","max_tokens":8,"messages":[{"role":"user","content":"Hi"}],"temperature":0.2,"#
                + #""top_p":0.9,"top_k":40,"stop_sequences":["\n\nHuman:","END"],"metadata":{"user_id":"u-42"}}"#)
        #expect(
            chat.hasSuffix(
                #""max_tokens":8,"stop":["\n\nHuman:","END"],"temperature":0.2,"top_p":0.9,"top_k":40,"user":"u-42"}"#
            ))
        let empty = try Support.chat(
            #"{"model":"m","max_tokens":8,"messages":[{"role":"user","content":"Hi"}],"stop_sequences":[],"#
                + #""metadata":{"user_id":null},"temperature":null}"#)
        #expect(empty.hasSuffix(#""max_tokens":8}"#))
    }

    @Test func textAndImageBlocksBecomeContentParts() throws {
        let chat = try Support.chat(
            #"{"model":"m","max_tokens":8,"messages":[{"role":"user","content":["#
                + #"{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},"#
                + #"{"type":"image","source":{"type":"url","url":"https://example.com/cat.jpg"}},"#
                + #"{"type":"text","text":"What are these?","cache_control":{"type":"ephemeral"}}]}]}"#)
        #expect(
            chat.contains(
                #""messages":[{"role":"user","content":["#
                    + #"{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}},"#
                    + #"{"type":"image_url","image_url":{"url":"https://example.com/cat.jpg"}},"#
                    + #"{"type":"text","text":"What are these?"}]}]"#))
    }

    @Test func aSingleTextBlockBecomesAString() throws {
        let chat = try Support.chat(
            #"{"model":"m","max_tokens":8,"messages":[{"role":"user","content":[{"type":"text","text":"Hi"}]},"#
                + #"{"role":"assistant","content":[{"type":"text","text":"Hello","citations":[]}]}]}"#)
        #expect(
            chat.contains(#""messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"}]"#))
    }

    /// A whole tool round: the tools offered, the assistant's call, the user's results (one an
    /// error, one as blocks) and a follow-up question in the same turn, then the answer.
    @Test func aToolRoundTripBecomesToolCallsAndToolMessages() throws {
        let request = """
            {"model":"claude-local","max_tokens":512,
             "tools":[{"name":"get_weather","description":"Current weather","input_schema":{"type":"object",
                "properties":{"city":{"type":"string"}},"required":["city"]},"cache_control":{"type":"ephemeral"}},
               {"type":"custom","name":"get_time","input_schema":{"type":"object"}}],
             "tool_choice":{"type":"auto","disable_parallel_tool_use":true},
             "messages":[
              {"role":"user","content":"Weather and time in Paris?"},
              {"role":"assistant","content":[{"type":"text","text":"Let me check."},
                {"type":"tool_use","id":"toolu_01A","name":"get_weather","input":{"city": "Paris", "units": ["c"]}},
                {"type":"tool_use","id":"toolu_01B","name":"get_time","input":{}}]},
              {"role":"user","content":[
                {"type":"tool_result","tool_use_id":"toolu_01A","content":"18°C, \\"sunny\\""},
                {"type":"tool_result","tool_use_id":"toolu_01B","is_error":true,
                 "content":[{"type":"text","text":"clock"},{"type":"text","text":"unavailable"}]},
                {"type":"text","text":"Thanks!"}]},
              {"role":"assistant","content":"It is 18°C and sunny."}]}
            """
        let chat = try Support.chat(request)
        let messages =
            #""messages":[{"role":"user","content":"Weather and time in Paris?"},"#
            + #"{"role":"assistant","content":"Let me check.","tool_calls":["#
            + #"{"id":"toolu_01A","type":"function","function":{"name":"get_weather","#
            + #""arguments":"{\"city\":\"Paris\",\"units\":[\"c\"]}"}},"#
            + #"{"id":"toolu_01B","type":"function","function":{"name":"get_time","arguments":"{}"}}]},"#
            + #"{"role":"tool","tool_call_id":"toolu_01A","content":"18°C, \"sunny\""},"#
            + #"{"role":"tool","tool_call_id":"toolu_01B","content":[{"type":"text","text":"clock"},"#
            + #"{"type":"text","text":"unavailable"}]},"#
            + #"{"role":"user","content":"Thanks!"},"#
            + #"{"role":"assistant","content":"It is 18°C and sunny."}]"#
        #expect(chat.contains(messages))
        let tools =
            #""tools":[{"type":"function","function":{"name":"get_weather","description":"Current weather","#
            + #""parameters":{"type":"object",\#n    "properties":{"city":{"type":"string"}},"required":["city"]}}},"#
            + #"{"type":"function","function":{"name":"get_time","parameters":{"type":"object"}}}],"#
            + #""tool_choice":"auto","parallel_tool_calls":false}"#
        #expect(chat.hasSuffix(tools))
    }

    @Test func toolCallArgumentsDecodeToTheInput() throws {
        let body = try MessagesToChat.body(
            Support.request(
                #"{"model":"m","max_tokens":8,"messages":[{"role":"assistant","content":[{"type":"tool_use","#
                    + #""id":"t1","name":"f","input":{ "q" : "a \"b\"\n", "n" : [1, 2] }}]}]}"#),
            upstreamModel: "u")
        let chat = try JSONScanner.object(in: body)
        let message = try #require(chat.array("messages").map { try JSONScanner.object(in: body, range: $0[0]) })
        #expect(message.kind(of: try #require(message.member("content")).valueRange) == .null)
        let call = try JSONScanner.object(in: body, range: try #require(message.array("tool_calls"))[0])
        let arguments = try #require(call.object("function")?.string("arguments"))
        #expect(arguments == #"{"q":"a \"b\"\n","n":[1,2]}"#)
    }

    @Test(arguments: [
        (#"{"type":"auto"}"#, #""tool_choice":"auto"}"#),
        (#"{"type":"any"}"#, #""tool_choice":"required"}"#),
        (
            #"{"type":"any","disable_parallel_tool_use":true}"#,
            #""tool_choice":"required","parallel_tool_calls":false}"#
        ),
        (#"{"type":"auto","disable_parallel_tool_use":false}"#, #""tool_choice":"auto"}"#),
        (
            #"{"type":"tool","name":"get_weather"}"#,
            #""tool_choice":{"type":"function","function":{"name":"get_weather"}}}"#
        ),
        (#"{"type":"none"}"#, #""tool_choice":"none"}"#),
    ])
    func toolChoiceMapsToChats(_ choice: String, _ expected: String) throws {
        let chat = try Support.chat(
            #"{"model":"m","max_tokens":8,"messages":[{"role":"user","content":"Hi"}],"#
                + #""tools":[{"name":"get_weather","input_schema":{"type":"object"}}],"tool_choice":\#(choice)}"#)
        #expect(chat.hasSuffix(expected))
    }

    @Test func disabledThinkingIsAcceptedAndSaysNothing() throws {
        let chat = try Support.chat(
            #"{"model":"m","max_tokens":8,"thinking":{"type":"disabled"},"messages":[{"role":"user","content":"Hi"}]}"#)
        #expect(!chat.contains("thinking"))
    }

    /// What chat cannot say is a 400 naming the field, never dropped.
    @Test(arguments: [
        (#""service_tier":"auto","#, "service_tier"),
        (#""max_completion_tokens":9,"#, "max_completion_tokens"),
        (#""stream_options":{"include_usage":true},"#, "stream_options"),
        (#""thinking":{"type":"enabled","budget_tokens":2048},"#, "thinking"),
        (#""thinking":{"type":"disabled","budget_tokens":2048},"#, "thinking.budget_tokens"),
        (#""metadata":{"user_id":"u","tenant":"t"},"#, "metadata.tenant"),
        (#""temperature":"hot","#, "temperature"),
        (#""top_k":1.5,"#, "top_k"),
        (#""stop_sequences":["a",1],"#, "stop_sequences.1"),
        (#""system":[{"type":"image","source":{"type":"url","url":"https://x"}}],"#, "system.0.type"),
        (#""system":7,"#, "system"),
        (#""tools":[{"type":"web_search_20250305","name":"web_search"}],"#, "tools.0.type"),
        (#""tools":[{"name":"f","input_schema":{},"strict":true}],"#, "tools.0.strict"),
        (#""tools":[{"name":"f"}],"#, "tools.0.input_schema"),
        (#""tool_choice":{"type":"sometimes"},"#, "tool_choice.type"),
        (#""tool_choice":{"type":"tool"},"#, "tool_choice.name"),
        (#""tool_choice":{"type":"none","disable_parallel_tool_use":true},"#, "tool_choice.disable_parallel_tool_use"),
    ])
    func untranslatableTopLevelFieldsAreRefusedByName(_ field: String, _ param: String) throws {
        let error = try #require(
            try Support.refusal(#"{"model":"m","max_tokens":8,\#(field)"messages":[{"role":"user","content":"Hi"}]}"#))
        #expect(error.param == param)
        #expect(error.message.hasPrefix("\(param): "))
    }

    @Test(arguments: [
        (#"{"role":"system","content":"Hi"}"#, "messages.0.role"),
        (#"{"role":"user"}"#, "messages.0.content"),
        (#"{"role":"user","content":7}"#, "messages.0.content"),
        (#"{"role":"user","content":"Hi","name":"bob"}"#, "messages.0.name"),
        (
            #"{"role":"user","content":[{"type":"document","source":{"type":"text","data":"x"}}]}"#,
            "messages.0.content.0.type"
        ),
        (#"{"role":"user","content":[{"text":"no type"}]}"#, "messages.0.content.0.type"),
        (#"{"role":"user","content":["bare"]}"#, "messages.0.content.0"),
        (#"{"role":"user","content":[{"type":"text","text":"a","extra":1}]}"#, "messages.0.content.0.extra"),
        (
            #"{"role":"user","content":[{"type":"text","text":"a","citations":[{"type":"char_location"}]}]}"#,
            "messages.0.content.0.citations"
        ),
        (#"{"role":"user","content":[{"type":"text","text":7}]}"#, "messages.0.content.0.text"),
        (
            #"{"role":"user","content":[{"type":"image","source":{"type":"file","file_id":"f"}}]}"#,
            "messages.0.content.0.source.type"
        ),
        (
            #"{"role":"user","content":[{"type":"image","source":{"type":"base64","data":"x"}}]}"#,
            "messages.0.content.0.source.media_type"
        ),
        (
            #"{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"image","source":{"type":"url","url":"u"}}]}]}"#,
            "messages.0.content.0.content.0.type"
        ),
        (#"{"role":"user","content":[{"type":"tool_result","content":"x"}]}"#, "messages.0.content.0.tool_use_id"),
        (
            #"{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","is_error":"yes"}]}"#,
            "messages.0.content.0.is_error"
        ),
        (
            #"{"role":"user","content":[{"type":"tool_use","id":"t","name":"f","input":{}}]}"#,
            "messages.0.content.0.type"
        ),
        (
            #"{"role":"assistant","content":[{"type":"thinking","thinking":"hm","signature":"s"}]}"#,
            "messages.0.content.0.type"
        ),
        (
            #"{"role":"assistant","content":[{"type":"image","source":{"type":"url","url":"u"}}]}"#,
            "messages.0.content.0.type"
        ),
        (#"{"role":"assistant","content":[{"type":"tool_use","name":"f","input":{}}]}"#, "messages.0.content.0.id"),
        (
            #"{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"f","input":"{}"}]}"#,
            "messages.0.content.0.input"
        ),
        (#"{"role":"assistant","content":[{"type":"tool_result","tool_use_id":"t"}]}"#, "messages.0.content.0.type"),
    ])
    func untranslatableMessagesAreRefusedByPath(_ message: String, _ param: String) throws {
        let error = try #require(
            try Support.refusal(#"{"model":"m","max_tokens":8,"messages":[\#(message)]}"#))
        #expect(error.param == param)
        #expect(error.message.hasPrefix("\(param): "))
    }

    @Test func aBlockTypeChatCannotSayIsNamedInTheMessage() throws {
        let error = try #require(
            try Support.refusal(
                #"{"model":"m","max_tokens":8,"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"},"#
                    + #"{"role":"user","content":[{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"x"}}]}]}"#
            ))
        #expect(error.param == "messages.2.content.0.type")
        #expect(
            error.message
                == "messages.2.content.0.type: \"document\" blocks cannot be translated to OpenAI chat completions, "
                + "which this model's backend serves")
    }

    @Test func maxTokensAndMessagesAreRequired() throws {
        let noMax = try #require(try Support.refusal(#"{"model":"m","messages":[{"role":"user","content":"Hi"}]}"#))
        #expect(noMax == ClientRequestError(message: "max_tokens: field required", param: "max_tokens"))
        let zero = try #require(
            try Support.refusal(#"{"model":"m","max_tokens":0,"messages":[{"role":"user","content":"Hi"}]}"#))
        #expect(zero.param == "max_tokens")
        let noMessages = try #require(try Support.refusal(#"{"model":"m","max_tokens":8}"#))
        #expect(noMessages.param == "messages")
        let empty = try #require(try Support.refusal(#"{"model":"m","max_tokens":8,"messages":[]}"#))
        #expect(empty == ClientRequestError(message: "messages: at least one message is required", param: "messages"))
    }

    @Test func anAssistantTurnWithoutBlocksHasEmptyContent() throws {
        let chat = try Support.chat(
            #"{"model":"m","max_tokens":8,"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":[]}]}"#
        )
        #expect(chat.contains(#"{"role":"assistant","content":""}]"#))
    }
}
