import Testing

@testable import RelayWire

@Suite struct ResponsesToChatTests {
    private typealias Support = ResponsesTestSupport

    @Test func aStringInputIsOneUserMessageForTheUpstreamModel() throws {
        let chat = try Support.chat(#"{"model":"gpt-local","input":"Hello, \"world\" \u00e9"}"#)
        #expect(chat == #"{"model":"qwen2.5-7b","messages":[{"role":"user","content":"Hello, \"world\" \u00e9"}]}"#)
    }

    @Test func theChatBodyParsesAgainWithTheUpstreamModelAndAsksForUsageWhenStreamed() throws {
        let body = try ResponsesToChat.body(
            Support.request(#"{"model":"a","input":"x","stream":true,"max_output_tokens":50}"#), history: nil,
            upstreamModel: "Qwen/Qwen2.5-7B-Instruct \"q\"")
        let chat = try ClientRequest(body: body)
        #expect(chat.model == "Qwen/Qwen2.5-7B-Instruct \"q\"")
        #expect(chat.stream)
        #expect(chat.includeUsage)
        #expect(chat.maxTokens == 50)
        let notStreamed = try Support.chat(#"{"model":"m","input":"Hi","stream":false}"#)
        #expect(notStreamed.hasSuffix(#""stream":false}"#))
    }

    @Test func instructionsBecomeTheFirstSystemMessageAndDeveloperMessagesSystemOnes() throws {
        let chat = try Support.chat(
            #"{"model":"m","instructions":"Be brief.","input":[{"role":"developer","content":"Use metric units."},"#
                + #"{"type":"message","role":"user","content":"How far is it?"}]}"#)
        #expect(
            chat.contains(
                #""messages":[{"role":"system","content":"Be brief."},{"role":"system","content":"Use metric units."},"#
                    + #"{"role":"user","content":"How far is it?"}]"#))
        let empty = try Support.chat(#"{"model":"m","instructions":"","input":"Hi"}"#)
        #expect(!empty.contains("system"))
    }

    @Test func contentPartsBecomeChatPartsImagesWithTheirDetail() throws {
        let chat = try Support.chat(
            #"{"model":"m","input":[{"role":"user","content":[{"type":"input_text","text":"What is this?"},"#
                + #"{"type":"input_image","image_url":"data:image/png;base64,iVBORw0KGgo=","detail":"low"},"#
                + #"{"type":"input_image","image_url":"https://example.com/cat.jpg"}]}]}"#)
        #expect(
            chat.contains(
                #""messages":[{"role":"user","content":[{"type":"text","text":"What is this?"},"#
                    + #"{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo=","detail":"low"}},"#
                    + #"{"type":"image_url","image_url":{"url":"https://example.com/cat.jpg"}}]}]"#))
        let one = try Support.chat(
            #"{"model":"m","input":[{"role":"user","content":[{"type":"input_text","text":"Just text"}]}]}"#)
        #expect(one.contains(#""messages":[{"role":"user","content":"Just text"}]"#))
    }

    @Test func anAssistantMessageAndTheCallsAfterItAreOneChatTurnAndOutputsAreToolMessages() throws {
        let chat = try Support.chat(
            #"{"model":"m","input":[{"role":"user","content":"Weather in Paris and Rome?"},"#
                + #"{"type":"message","id":"msg_1","status":"completed","role":"assistant","#
                + #""content":[{"type":"output_text","text":"Checking.","annotations":[]}]},"#
                + #"{"type":"function_call","id":"fc_1","call_id":"call_a","name":"weather","#
                + #""arguments":"{\"city\":\"Paris\"}","status":"completed"},"#
                + #"{"type":"function_call","call_id":"call_b","name":"weather","arguments":"{\"city\":\"Rome\"}"},"#
                + #"{"type":"function_call_output","call_id":"call_a","output":"18C"},"#
                + #"{"type":"function_call_output","call_id":"call_b","output":[{"type":"input_text","text":"21C"}]}]}"#
        )
        let expected: String =
            #""messages":[{"role":"user","content":"Weather in Paris and Rome?"},"#
            + #"{"role":"assistant","content":"Checking.","tool_calls":["#
            + #"{"id":"call_a","type":"function","function":{"name":"weather","arguments":"{\"city\":\"Paris\"}"}},"#
            + #"{"id":"call_b","type":"function","function":{"name":"weather","arguments":"{\"city\":\"Rome\"}"}}]},"#
            + #"{"role":"tool","tool_call_id":"call_a","content":"18C"},"#
            + #"{"role":"tool","tool_call_id":"call_b","content":"21C"}]"#
        #expect(chat.contains(expected))
    }

    @Test func callsWithoutTextMakeAnAssistantTurnWithNullContent() throws {
        let chat = try Support.chat(
            #"{"model":"m","input":[{"type":"function_call","call_id":"c1","name":"now","arguments":"{}"},"#
                + #"{"type":"function_call_output","call_id":"c1","output":"noon"}]}"#)
        #expect(
            chat.contains(
                #"[{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","#
                    + #""function":{"name":"now","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c1","content":"noon"}]"#
            ))
    }

    @Test func functionToolsToolChoiceAndParallelCallsMapToChats() throws {
        let chat = try Support.chat(
            #"{"model":"m","input":"Hi","tools":[{"type":"function","name":"weather","description":"Today's weather","#
                + #""parameters":{"type":"object","properties":{"city":{"type":"string"}}},"strict":true}],"#
                + #""tool_choice":{"type":"function","name":"weather"},"parallel_tool_calls":false}"#)
        #expect(
            chat.contains(
                #""tools":[{"type":"function","function":{"name":"weather","description":"Today's weather","#
                    + #""parameters":{"type":"object","properties":{"city":{"type":"string"}}},"strict":true}}],"#
                    + #""tool_choice":{"type":"function","function":{"name":"weather"}},"parallel_tool_calls":false"#))
        for choice in ["auto", "none", "required"] {
            let plain = try Support.chat(#"{"model":"m","input":"Hi","tool_choice":"\#(choice)"}"#)
            #expect(plain.contains(#""tool_choice":"\#(choice)""#))
        }
        let noTools = try Support.chat(#"{"model":"m","input":"Hi","tools":[]}"#)
        #expect(!noTools.contains("tools"))
    }

    @Test func samplingFieldsUserAndReasoningEffortAreSentTheGatewaysFieldsAreNot() throws {
        let chat = try Support.chat(
            #"{"model":"m","input":"Hi","max_output_tokens":256,"temperature":0.2,"top_p":0.9,"user":"u-42","#
                + #""reasoning":{"effort":"low"},"store":true,"previous_response_id":"resp_1","#
                + #""metadata":{"team":"a"},"truncation":"disabled","include":[],"background":false}"#)
        #expect(
            chat
                == #"{"model":"qwen2.5-7b","messages":[{"role":"user","content":"Hi"}],"max_tokens":256,"#
                + #""temperature":0.2,"top_p":0.9,"user":"u-42","reasoning_effort":"low"}"#)
    }

    @Test func textFormatsBecomeResponseFormats() throws {
        let schema = try Support.chat(
            #"{"model":"m","input":"Hi","text":{"format":{"type":"json_schema","name":"city","#
                + #""schema":{"type":"object","properties":{"name":{"type":"string"}}},"strict":true}}}"#)
        #expect(
            schema.contains(
                #""response_format":{"type":"json_schema","json_schema":{"name":"city","#
                    + #""schema":{"type":"object","properties":{"name":{"type":"string"}}},"strict":true}}"#))
        let object = try Support.chat(#"{"model":"m","input":"Hi","text":{"format":{"type":"json_object"}}}"#)
        #expect(object.hasSuffix(#""response_format":{"type":"json_object"}}"#))
        let text = try Support.chat(#"{"model":"m","input":"Hi","text":{"format":{"type":"text"}}}"#)
        #expect(!text.contains("response_format"))
    }

    @Test func theHistoryGoesBetweenTheInstructionsAndThisTurnsInput() throws {
        let chat = try Support.chat(
            #"{"model":"m","instructions":"Be brief.","input":"And tomorrow?","previous_response_id":"resp_1"}"#,
            history: #"[{"role":"user","content":"Weather?"},{"role":"assistant","content":"Sunny."}]"#)
        #expect(
            chat.contains(
                #""messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Weather?"},"#
                    + #"{"role":"assistant","content":"Sunny."},{"role":"user","content":"And tomorrow?"}]"#))
        let broken = try Support.request(#"{"model":"m","input":"x"}"#)
        #expect(throws: ClientRequestError.self) {
            try ResponsesToChat.body(broken, history: Array("{".utf8), upstreamModel: "m")
        }
    }

    /// Each field or value chat cannot say is refused, naming it.
    @Test(arguments: [
        (#"{"model":"m","input":"x","tools":[{"type":"web_search"}]}"#, "tools.0.type"),
        (#"{"model":"m","input":"x","tools":[{"type":"file_search","vector_store_ids":["vs_1"]}]}"#, "tools.0.type"),
        (#"{"model":"m","input":"x","include":["file_search_call.results"]}"#, "include.0"),
        (#"{"model":"m","input":"x","background":true}"#, "background"),
        (#"{"model":"m","input":"x","conversation":"conv_1"}"#, "conversation"),
        (#"{"model":"m","input":"x","prompt":{"id":"pmpt_1"}}"#, "prompt"),
        (#"{"model":"m","input":"x","truncation":"auto"}"#, "truncation"),
        (#"{"model":"m","input":"x","reasoning":{"effort":"low","summary":"auto"}}"#, "reasoning.summary"),
        (#"{"model":"m","input":"x","text":{"format":{"type":"text"},"verbosity":"low"}}"#, "text.verbosity"),
        (#"{"model":"m","input":"x","tool_choice":{"type":"web_search_preview"}}"#, "tool_choice.type"),
        (#"{"model":"m","input":[{"type":"reasoning","summary":[]}]}"#, "input.0.type"),
        (#"{"model":"m","input":[{"type":"item_reference","id":"msg_1"}]}"#, "input.0.type"),
        (
            #"{"model":"m","input":[{"role":"user","content":[{"type":"input_file","file_id":"f"}]}]}"#,
            "input.0.content.0.type"
        ),
        (#"{"model":"m","input":[{"role":"user","content":"x","name":"bob"}]}"#, "input.0.name"),
        (
            #"{"model":"m","input":[{"role":"system","content":[{"type":"input_image","image_url":"u"}]}]}"#,
            "input.0.content.0.type"
        ),
        (#"{"model":"m","input":"x","max_output_tokens":0}"#, "max_output_tokens"),
        (#"{"model":"m","input":"x","top_k":5}"#, "top_k"),
        (#"{"model":"m"}"#, "input"),
        (#"{"model":"m","input":[]}"#, "input"),
        (#"{"model":"m","input":[{"type":"function_call","call_id":"c","name":"f"}]}"#, "input.0.arguments"),
    ])
    func untranslatableFieldsAreRefusedByName(json: String, param: String) throws {
        let error = try #require(try Support.refusal(json))
        #expect(error.param == param)
        #expect(error.message.hasPrefix("\(param): "))
    }

    @Test func aNullFieldSaysNothingAndIsAccepted() throws {
        #expect(try Support.refusal(#"{"model":"m","input":"x","conversation":null,"prompt":null}"#) == nil)
    }
}
