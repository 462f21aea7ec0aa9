import Testing

@testable import RelayCore
@testable import RelayWire

@Suite struct OllamaGenerateAndEmbedRequestTests {
    private let defaults = OllamaBackendDefaults(keepAlive: "10m", options: ["num_ctx": .int(4096)])

    private func body(_ endpoint: Endpoint, _ json: String, model: String = "llama3.2") throws -> String {
        let request = try OllamaTestSupport.request(json)
        return OllamaTestSupport.text(
            try OllamaRequest.body(for: endpoint, request: request, upstreamModel: model, defaults: defaults))
    }

    private func error(_ endpoint: Endpoint, _ json: String) throws -> OllamaTranslationError? {
        let request = try OllamaTestSupport.request(json)
        do {
            _ = try OllamaRequest.body(for: endpoint, request: request, upstreamModel: "m", defaults: defaults)
            return nil
        } catch {
            return error
        }
    }

    @Test func completionsSendTheRawPrompt() throws {
        #expect(
            try body(
                .completions, #"{"model":"a","prompt":"Why is the sky blue?","max_tokens":16,"stream":true,"seed":123}"#
            )
                == #"{"model":"llama3.2","prompt":"Why is the sky blue?","raw":true,"stream":true,"keep_alive":"10m","#
                + #""options":{"num_ctx":4096,"num_predict":16,"seed":123}}"#
        )
    }

    @Test func completionsWithSuffixUseTheTemplate() throws {
        #expect(
            try body(
                .completions,
                #"{"model":"a","prompt":"def compute_gcd(a, b):","suffix":"    return result","temperature":0}"#,
                model: "codellama:code")
                == #"{"model":"codellama:code","prompt":"def compute_gcd(a, b):","suffix":"    return result","#
                + #""stream":false,"keep_alive":"10m","options":{"num_ctx":4096,"temperature":0}}"#
        )
    }

    @Test func completionsTakeOneTextPrompt() throws {
        #expect(
            try body(.completions, #"{"model":"a","prompt":["Once upon a time"],"stop":["\n\n"]}"#)
                == #"{"model":"llama3.2","prompt":"Once upon a time","raw":true,"stream":false,"keep_alive":"10m","#
                + #""options":{"num_ctx":4096,"stop":["\n\n"]}}"#
        )
        #expect(try error(.completions, #"{"model":"a","prompt":["a","b"]}"#)?.param == "prompt")
        #expect(try error(.completions, #"{"model":"a","prompt":[1,2,3]}"#)?.param == "prompt")
        #expect(try error(.completions, #"{"model":"a"}"#)?.param == "prompt")
    }

    @Test func embeddingsCopyTheInput() throws {
        #expect(
            try body(
                .embeddings,
                #"{"model":"a","input":["Why is the sky blue?", "Why is the grass green?"],"encoding_format":"base64"}"#,
                model: "all-minilm")
                == #"{"model":"all-minilm","input":["Why is the sky blue?", "Why is the grass green?"],"#
                + #""keep_alive":"10m","options":{"num_ctx":4096}}"#
        )
        #expect(
            try body(.embeddings, #"{"model":"a","input":"Why is the sky blue?","dimensions":256,"temperature":1}"#)
                == #"{"model":"llama3.2","input":"Why is the sky blue?","dimensions":256,"keep_alive":"10m","#
                + #""options":{"num_ctx":4096}}"#
        )
    }

    @Test func embeddingsRefuseTokensAndEmptyInput() throws {
        #expect(try error(.embeddings, #"{"model":"a","input":[[1,2]]}"#)?.param == "input")
        #expect(try error(.embeddings, #"{"model":"a","input":[]}"#)?.param == "input")
        #expect(try error(.embeddings, #"{"model":"a","input":5}"#)?.param == "input")
        #expect(try error(.embeddings, #"{"model":"a","input":"x","dimensions":"256"}"#)?.param == "dimensions")
    }
}
