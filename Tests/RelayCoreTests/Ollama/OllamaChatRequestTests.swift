import Testing

@testable import RelayCore
@testable import RelayWire

@Suite struct OllamaChatRequestTests {
    private func translate(_ json: String, defaults: OllamaBackendDefaults = OllamaBackendDefaults()) throws -> String {
        let request = try OllamaTestSupport.request(json)
        return OllamaTestSupport.text(
            try OllamaChatRequest.body(for: request, upstreamModel: "qwen2.5:7b", defaults: defaults))
    }

    private func translationError(_ json: String) throws -> OllamaTranslationError? {
        let request = try OllamaTestSupport.request(json)
        do {
            _ = try OllamaChatRequest.body(for: request, upstreamModel: "qwen2.5:7b", defaults: OllamaBackendDefaults())
            return nil
        } catch {
            return error
        }
    }

    @Test func plainMessagesAreCopiedAndStreamIsAlwaysExplicit() throws {
        #expect(
            try translate(#"{"model":"qwen2.5","messages":[{"role":"user","content":"why is the sky blue?"}]}"#)
                == #"{"model":"qwen2.5:7b","messages":[{"role":"user","content":"why is the sky blue?"}],"stream":false}"#
        )
        #expect(
            try translate(#"{"model":"qwen2.5","stream":true,"messages":[{"role":"user","content":"a \"b\"\n"}]}"#)
                == #"{"model":"qwen2.5:7b","messages":[{"role":"user","content":"a \"b\"\n"}],"stream":true}"#
        )
    }

    @Test func samplingFieldsBecomeOptionsOverConfigDefaults() throws {
        let defaults = OllamaBackendDefaults(
            keepAlive: "5m", options: ["num_ctx": .int(8192), "temperature": .double(0.2), "mirostat": .int(0)])
        let body = try translate(
            #"{"model":"qwen2.5","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"hi"}],"#
                + #""max_completion_tokens":100,"max_tokens":5,"temperature":0.70,"top_p":0.9,"stop":"\n","seed":42,"#
                + #""presence_penalty":1.5,"frequency_penalty":1.0,"top_k":20,"min_p":0.05,"repeat_penalty":1.1,"#
                + #""n":1,"user":"u-1","logprobs":false}"#,
            defaults: defaults
        )
        #expect(
            body
                == #"{"model":"qwen2.5:7b","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"hi"}],"#
                + #""stream":false,"keep_alive":"5m","options":{"mirostat":0,"num_ctx":8192,"num_predict":100,"#
                + #""temperature":0.70,"top_p":0.9,"top_k":20,"min_p":0.05,"repeat_penalty":1.1,"seed":42,"#
                + #""presence_penalty":1.5,"frequency_penalty":1.0,"stop":["\n"]}}"#
        )
    }

    @Test func maxTokensAndStopListsAndNullsTranslate() throws {
        #expect(
            try translate(
                #"{"model":"m","messages":[],"max_tokens":7,"stop":["\n","user:"],"temperature":null,"seed":null}"#)
                == #"{"model":"qwen2.5:7b","messages":[],"stream":false,"options":{"num_predict":7,"stop":["\n","user:"]}}"#
        )
        #expect(
            try translate(#"{"model":"m","messages":[],"stop":[]}"#)
                == #"{"model":"qwen2.5:7b","messages":[],"stream":false}"#)
    }

    @Test func wrongSamplingTypesAreTheClientsError() throws {
        #expect(
            try translationError(#"{"model":"m","messages":[],"temperature":"hot"}"#)
                == OllamaTranslationError("temperature must be a number", param: "temperature"))
        #expect(
            try translationError(#"{"model":"m","messages":[],"stop":[1]}"#)
                == OllamaTranslationError("stop must be a string or an array of strings", param: "stop"))
        #expect(
            try translationError(#"{"model":"m"}"#)
                == OllamaTranslationError("you must provide a messages parameter", param: "messages"))
    }

    @Test func contentPartsJoinTextAndMoveDataURLImagesToImages() throws {
        let body = try translate(
            #"{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"what is in this image?"},"#
                + #"{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo=","detail":"low"}},"#
                + #"{"type":"image_url","image_url":"data:image/jpeg;base64,/9j/4AAQ"},{"type":"text","text":"Be brief."}]}]}"#
        )
        #expect(
            body
                == #"{"model":"qwen2.5:7b","messages":[{"role":"user","content":"what is in this image?\nBe brief.","#
                + #""images":["iVBORw0KGgo=","/9j/4AAQ"]}],"stream":false}"#
        )
    }

    @Test func imagesToFetchAndUnknownPartsAreRefused() throws {
        let remote = try translationError(
            #"{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x.test/a.png"}}]}]}"#
        )
        #expect(remote?.param == "messages[0].content[0].image_url.url")
        #expect(remote?.message.hasPrefix("image URLs are not supported by this model's backend") == true)
        let audio = try translationError(
            #"{"model":"m","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{}}]}]}"#)
        #expect(audio?.param == "messages[0].content[0].type")
        let notBase64 = try translationError(
            #"{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png,abc"}}]}]}"#
        )
        #expect(notBase64?.param == "messages[0].content[0].image_url.url")
    }

    @Test func toolCallsRoundTripWithArgumentsAsObjectsAndToolNames() throws {
        let body = try translate(
            #"{"model":"m","messages":[{"role":"user","content":"What is the weather today in Paris?"},"#
                + #"{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":"#
                + #"{"name":"get_current_weather","arguments":"{\"location\": \"Paris, FR\", \"format\": \"celsius\"}"}},"#
                + #"{"id":"call_2","type":"function","function":{"name":"get_time","arguments":""}}]},"#
                + #"{"role":"tool","tool_call_id":"call_1","content":"22"},"#
                + #"{"role":"tool","tool_call_id":"call_2","content":"noon"}],"#
                + #""tools":[{"type":"function","function":{"name":"get_current_weather","parameters":{"type":"object"}}}],"#
                + #""tool_choice":"auto"}"#
        )
        #expect(
            body
                == #"{"model":"qwen2.5:7b","messages":[{"role":"user","content":"What is the weather today in Paris?"},"#
                + #"{"role":"assistant","content":"","tool_calls":[{"id":"call_1","function":{"name":"get_current_weather","#
                + #""arguments":{"location": "Paris, FR", "format": "celsius"}}},{"id":"call_2","function":{"name":"get_time","#
                + #""arguments":{}}}]},{"role":"tool","content":"22","tool_name":"get_current_weather","tool_call_id":"call_1"},"#
                + #"{"role":"tool","content":"noon","tool_name":"get_time","tool_call_id":"call_2"}],"stream":false,"#
                + #""tools":[{"type":"function","function":{"name":"get_current_weather","parameters":{"type":"object"}}}]}"#
        )
    }

    @Test func toolCallArgumentsMustHoldAnObject() throws {
        let error = try translationError(
            #"{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","#
                + #""function":{"name":"f","arguments":"[1,2]"}}]}]}"#
        )
        #expect(
            error
                == OllamaTranslationError(
                    "messages[0].tool_calls[0].function.arguments must be a JSON object encoded as a string",
                    param: "messages[0].tool_calls[0].function.arguments"
                )
        )
    }

    @Test func toolChoiceNoneWithholdsTheToolsAndDeveloperIsSystem() throws {
        #expect(
            try translate(
                #"{"model":"m","messages":[{"role":"developer","content":"Answer in French."}],"#
                    + #""tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"none"}"#)
                == #"{"model":"qwen2.5:7b","messages":[{"role":"system","content":"Answer in French."}],"stream":false}"#
        )
    }

    @Test func responseFormatBecomesFormat() throws {
        let base = #"{"model":"m","messages":[],"response_format":"#
        #expect(
            try translate(base + #"{"type":"json_object"}}"#)
                == #"{"model":"qwen2.5:7b","messages":[],"stream":false,"format":"json"}"#)
        #expect(
            try translate(
                base
                    + #"{"type":"json_schema","json_schema":{"name":"age","strict":true,"schema":{"type":"object","#
                    + #""properties":{"age":{"type":"integer"}},"required":["age"]}}}}"#)
                == #"{"model":"qwen2.5:7b","messages":[],"stream":false,"format":{"type":"object","#
                + #""properties":{"age":{"type":"integer"}},"required":["age"]}}"#
        )
        #expect(
            try translate(base + #"{"type":"text"}}"#) == #"{"model":"qwen2.5:7b","messages":[],"stream":false}"#)
        #expect(
            try translationError(base + #"{"type":"yaml"}}"#)?.param == "response_format.type")
    }

    @Test func configOptionsOfEveryKindAreWritten() throws {
        let defaults = OllamaBackendDefaults(
            keepAlive: "-1s",
            options: [
                "num_ctx": .int(8192), "use_mmap": .bool(true), "stop": .array([.string("<|im_end|>")]),
                "tfs_z": .double(.infinity), "mirostat_eta": .double(0.1), "x": .null,
                "nested": .object([("b", .int(1)), ("a", .int(2))]),
            ]
        )
        #expect(
            try translate(#"{"model":"m","messages":[]}"#, defaults: defaults)
                == #"{"model":"qwen2.5:7b","messages":[],"stream":false,"keep_alive":"-1s","options":{"#
                + #""mirostat_eta":0.1,"nested":{"b":1,"a":2},"num_ctx":8192,"stop":["<|im_end|>"],"tfs_z":null,"#
                + #""use_mmap":true,"x":null}}"#
        )
    }

    @Test func backendDefaultsComeFromTheBackendConfig() {
        var backend = BackendConfig(name: "ollama-local", type: .ollama, baseURL: "http://127.0.0.1:11434")
        backend.keepAlive = "5m"
        backend.options = ["num_ctx": .int(8192)]
        #expect(
            OllamaBackendDefaults(backend) == OllamaBackendDefaults(keepAlive: "5m", options: ["num_ctx": .int(8192)]))
        #expect(Endpoint.chatCompletions.ollamaPath == "/api/chat")
        #expect(Endpoint.completions.ollamaPath == "/api/generate")
        #expect(Endpoint.embeddings.ollamaPath == "/api/embed")
    }
}
