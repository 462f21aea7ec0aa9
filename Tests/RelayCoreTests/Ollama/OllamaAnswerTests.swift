import Testing

@testable import RelayCore
@testable import RelayWire

@Suite struct OllamaAnswerTests {
    private func chat(_ json: String) throws -> OllamaAnswer {
        try OllamaChatAnswer.translate(Array(json.utf8), alias: "qwen2.5", id: OllamaTestSupport.chatID, now: 99)
    }

    @Test func chatAnswerFromTheDocs() throws {
        let answer = try chat(
            """
            {
              "model": "llama3.2",
              "created_at": "2023-12-12T14:13:43.416799Z",
              "message": {
                "role": "assistant",
                "content": "Hello! How are you today?"
              },
              "done": true,
              "total_duration": 5191566416,
              "load_duration": 2154458,
              "prompt_eval_count": 26,
              "prompt_eval_duration": 383809000,
              "eval_count": 298,
              "eval_duration": 4799921000
            }
            """)
        #expect(
            OllamaTestSupport.text(answer.body)
                == #"{"id":"chatcmpl-test","object":"chat.completion","created":1702390423,"model":"qwen2.5","#
                + #""choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How are you today?"},"#
                + #""logprobs":null,"finish_reason":"stop"}],"#
                + #""usage":{"prompt_tokens":26,"completion_tokens":298,"total_tokens":324}}"#
        )
        #expect(answer.usage == Usage(promptTokens: 26, completionTokens: 298))
    }

    @Test func absentCountsAreZeroAndLoadIsAStop() throws {
        let answer = try chat(
            #"{"model":"llama3.2","created_at":"bad","message":{"role":"assistant","content":""},"done_reason":"load","done":true}"#
        )
        #expect(
            OllamaTestSupport.text(answer.body)
                == #"{"id":"chatcmpl-test","object":"chat.completion","created":99,"model":"qwen2.5","#
                + #""choices":[{"index":0,"message":{"role":"assistant","content":""},"logprobs":null,"finish_reason":"stop"}],"#
                + #""usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0}}"#
        )
        let cachedPrompt = try chat(
            #"{"message":{"role":"assistant","content":"x"},"done_reason":"length","done":true,"eval_count":3}"#)
        #expect(cachedPrompt.usage == Usage(promptTokens: 0, completionTokens: 3))
        #expect(OllamaTestSupport.text(cachedPrompt.body).contains(#""finish_reason":"length""#))
    }

    @Test func toolCallsComeBackInOpenAIFormInOrder() throws {
        let answer = try chat(
            """
            {
              "model": "llama3.2",
              "created_at": "2024-07-22T20:33:28.123648Z",
              "message": {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                  {
                    "function": {
                      "name": "get_current_weather",
                      "arguments": {
                        "format": "celsius",
                        "location": "Paris, FR"
                      }
                    }
                  },
                  {"id": "call_ollama7", "function": {"index": 1, "name": "get_time", "arguments": {"tz": "Europe/Paris"}}},
                  {"function": {"name": "no_arguments"}}
                ]
              },
              "done_reason": "stop",
              "done": true,
              "prompt_eval_count": 122,
              "eval_count": 33
            }
            """)
        #expect(
            OllamaTestSupport.text(answer.body)
                == #"{"id":"chatcmpl-test","object":"chat.completion","created":1721680408,"model":"qwen2.5","#
                + #""choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":["#
                + #"{"id":"call_test_0","type":"function","function":{"name":"get_current_weather","#
                + #""arguments":"{\"format\":\"celsius\",\"location\":\"Paris, FR\"}"}},"#
                + #"{"id":"call_ollama7","type":"function","function":{"name":"get_time","arguments":"{\"tz\":\"Europe/Paris\"}"}},"#
                + #"{"id":"call_test_2","type":"function","function":{"name":"no_arguments","arguments":"{}"}}]},"#
                + #""logprobs":null,"finish_reason":"tool_calls"}],"#
                + #""usage":{"prompt_tokens":122,"completion_tokens":33,"total_tokens":155}}"#
        )
    }

    @Test func thinkingBecomesReasoningContent() throws {
        let answer = try chat(
            #"{"message":{"role":"assistant","content":"4","thinking":"2+2 is 4"},"done":true,"done_reason":"stop"}"#)
        #expect(
            OllamaTestSupport.text(answer.body).contains(
                #""message":{"role":"assistant","content":"4","reasoning_content":"2+2 is 4"}"#))
    }

    @Test func generateAnswerFromTheDocs() throws {
        let body = """
            {
              "model": "codellama:code",
              "created_at": "2023-08-04T19:22:45.499127Z",
              "response": "\\n  if a == 0:\\n    return b\\n",
              "done": true,
              "done_reason": "stop",
              "context": [1, 2, 3],
              "total_duration": 1162761250,
              "prompt_eval_count": 17,
              "eval_count": 63
            }
            """
        let answer = try OllamaGenerateAnswer.translate(
            Array(body.utf8), alias: "coder", id: OllamaTestSupport.completionID, now: 0)
        #expect(
            OllamaTestSupport.text(answer.body)
                == #"{"id":"cmpl-test","object":"text_completion","created":1691176965,"model":"coder","#
                + #""choices":[{"text":"\n  if a == 0:\n    return b\n","index":0,"logprobs":null,"finish_reason":"stop"}],"#
                + #""usage":{"prompt_tokens":17,"completion_tokens":63,"total_tokens":80}}"#
        )
        #expect(answer.usage == Usage(promptTokens: 17, completionTokens: 63))
    }

    private let embedBody = """
        {
          "model": "all-minilm",
          "embeddings": [[
            0.010071029, -0.0017594862, 0.05007221
          ],[
            -0.0098027075, 0.06042469, 0.025257962
          ]],
          "total_duration": 14143917,
          "load_duration": 1019500,
          "prompt_eval_count": 8
        }
        """

    @Test func embeddingsAsFloats() throws {
        let answer = try OllamaEmbedAnswer.translate(Array(embedBody.utf8), alias: "minilm", asBase64: false)
        #expect(
            OllamaTestSupport.text(answer.body)
                == #"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.010071029,-0.0017594862,0.05007221]},"#
                + #"{"object":"embedding","index":1,"embedding":[-0.0098027075,0.06042469,0.025257962]}],"#
                + #""model":"minilm","usage":{"prompt_tokens":8,"total_tokens":8}}"#
        )
        #expect(answer.usage == Usage(promptTokens: 8, completionTokens: 0))
    }

    @Test func embeddingsAsLittleEndianFloat32Base64() throws {
        let answer = try OllamaEmbedAnswer.translate(Array(embedBody.utf8), alias: "minilm", asBase64: true)
        #expect(
            OllamaTestSupport.text(answer.body)
                == #"{"object":"list","data":[{"object":"embedding","index":0,"embedding":"9QAlPI+e5rqFGE09"},"#
                + #"{"object":"embedding","index":1,"embedding":"iZsgvOF/dz3J6c48"}],"#
                + #""model":"minilm","usage":{"prompt_tokens":8,"total_tokens":8}}"#
        )
    }

    @Test func errorBodiesAndBrokenAnswersThrow() {
        #expect(throws: OllamaAnswerError("model \"qwen2.5:7b\" not found, try pulling it first")) {
            try chat(#"{"error":"model \"qwen2.5:7b\" not found, try pulling it first"}"#)
        }
        #expect(throws: OllamaAnswerError("the backend's answer is not a JSON object")) { try chat("<html>") }
        #expect(throws: OllamaAnswerError("the backend's answer has no message")) { try chat(#"{"done":true}"#) }
        #expect(throws: OllamaAnswerError("the backend's answer has no embeddings")) {
            try OllamaEmbedAnswer.translate(Array("{}".utf8), alias: "a", asBase64: false)
        }
    }

    @Test func errorMessagesHideTheUpstreamModel() {
        let body = Array(#"{"error":"model \"qwen2.5:7b\" not found, try pulling it first"}"#.utf8)
        #expect(OllamaErrorMessage.message(in: body) == "model \"qwen2.5:7b\" not found, try pulling it first")
        #expect(
            OllamaErrorMessage.message(in: body, upstreamModel: "qwen2.5:7b", alias: "qwen2.5")
                == "model \"qwen2.5\" not found, try pulling it first")
        #expect(OllamaErrorMessage.message(in: Array(#"{"error":{"message":"bad"}}"#.utf8)) == "bad")
        #expect(OllamaErrorMessage.message(in: Array("404 page not found".utf8)) == nil)
    }
}
