import Foundation
import NIOPosix
import Testing

@testable import RelayCore
@testable import RelayWire

@Suite struct RewriterTests {
    @Test func swapsModelAndKeepsEveryOtherValueByteForByte() throws {
        let body = #"{"messages":[{"content":"é \u00e9 \"q\"","model":"keep"}] , "model":"alias","temperature":0.70}"#
        let object = try JSONScanner.object(in: Array(body.utf8))
        var rewriter = JSONObjectRewriter(object)
        rewriter.set("model", to: JSONString.encode("org/upstream:7b"))
        let out = String(decoding: rewriter.bytes(), as: UTF8.self)
        // swift-format-ignore
        #expect(
            out == #"{"messages":[{"content":"é \u00e9 \"q\"","model":"keep"}],"model":"org/upstream:7b","temperature":0.70}"#
        )
    }

    @Test func dropsAndAppendsMembers() throws {
        let object = try JSONScanner.object(in: Array(#"{"top_k":5,"model":"a","min_p":0.1}"#.utf8))
        var rewriter = JSONObjectRewriter(object)
        rewriter.drop("top_k")
        rewriter.drop("min_p")
        rewriter.set("stream_options", to: Array(#"{"include_usage":true}"#.utf8))
        // swift-format-ignore
        #expect(String(decoding: rewriter.bytes(), as: UTF8.self) == #"{"model":"a","stream_options":{"include_usage":true}}"#)
    }

    @Test func asksUpstreamForUsageOnStreamsOnly() throws {
        func upstreamBody(_ body: String, endpoint: Endpoint = .chatCompletions) throws -> String {
            let client = try ClientRequest(body: Array(body.utf8))
            var config = BackendConfig(name: "b", type: .vllm, baseURL: "http://127.0.0.1:1")
            config.dropParams = ["top_k"]
            let backend = Backend(config: config, eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
            defer { Task { await backend.shutdown() } }
            let target = Target(backend: backend, upstreamModel: "up", isFallback: false)
            return String(
                decoding: OpenAIUpstream.body(endpoint: endpoint, client: client, target: target), as: UTF8.self)
        }
        #expect(try upstreamBody(#"{"model":"a","top_k":3}"#) == #"{"model":"up"}"#)
        #expect(
            try upstreamBody(#"{"model":"a","stream":true}"#)
                == #"{"model":"up","stream":true,"stream_options":{"include_usage":true}}"#
        )
        #expect(
            try upstreamBody(#"{"model":"a","stream":true,"stream_options":{"include_usage":false,"x":1}}"#)
                == #"{"model":"up","stream":true,"stream_options":{"include_usage":true,"x":1}}"#
        )
        // swift-format-ignore
        #expect(try upstreamBody(#"{"model":"a","stream":true}"#, endpoint: .embeddings) == #"{"model":"up","stream":true}"#)
        // Nothing but the model to change: the client's bytes as they came, spaces too.
        #expect(try upstreamBody(#"{ "model" : "a", "n": 1 }"#) == #"{ "model" : "up", "n": 1 }"#)
    }

    @Test func anAnswerKeepsTheUpstreamsBytesButItsModel() throws {
        // swift-format-ignore
        let body = #"{ "id": "chatcmpl-1", "model" :"org/up:7b","choices":[{"message":{"content":"the \"model\": x"}}], "model":"again","usage":{"prompt_tokens":2,"completion_tokens":3} }"#
        let result = try OpenAIResponseRewriter.rewrite(Array(body.utf8), alias: "chat-a", embeddingsAsBase64: false)
        // swift-format-ignore
        #expect(String(decoding: result.body, as: UTF8.self) == #"{ "id": "chatcmpl-1", "model" :"chat-a","choices":[{"message":{"content":"the \"model\": x"}}], "model":"chat-a","usage":{"prompt_tokens":2,"completion_tokens":3} }"#)
        #expect(result.usage == Usage(promptTokens: 2, completionTokens: 3))
    }

    @Test func turnsFloatEmbeddingsIntoBase64() throws {
        // swift-format-ignore
        let body = #"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.5,-1.25,3]}],"model":"up","usage":{"prompt_tokens":3,"total_tokens":3}}"#
        let result = try OpenAIResponseRewriter.rewrite(Array(body.utf8), alias: "alias", embeddingsAsBase64: true)
        let object = try JSONScanner.object(in: result.body)
        #expect(object.string("model") == "alias")
        #expect(result.usage == Usage(promptTokens: 3, completionTokens: 0))
        let element = try JSONScanner.object(in: result.body, range: #require(object.array("data")?.first))
        let encoded = try #require(element.string("embedding"))
        let data = try #require(Data(base64Encoded: encoded))
        let floats = data.withUnsafeBytes { raw in
            (0..<3).map {
                Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)))
            }
        }
        #expect(floats == [0.5, -1.25, 3])
    }

    /// The one walk of an answer against its reading through `JSONScanner.object`: the same
    /// bytes, the same usage, the same refusals.
    @Test func oneWalkOfAnAnswerReadsItAsItsMembersWould() {
        // swift-format-ignore
        let bodies = [
            #"{"model":"up","usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}"#,
            #"{"usage":{"completion_tokens":7,"prompt_tokens":5},"model":"up","model":"twice"}"#,
            #"{"usage":null,"model":"up"}"#,
            #"{"usage":{"prompt_tokens":1.5},"model":"up"}"#,
            #"{"usage":{"prompt_tokens":1},"usage":{"prompt_tokens":2}}"#,
            #"{"usage":[1,2],"choices":[{"model":"inner","usage":{"prompt_tokens":9}}]}"#,
            #"{"mod\u0065l":"escaped","us\u0061ge":{"prompt_tokens":4}}"#,
            #"{"usage":{"prompt_tokens":3,"nested":{"prompt_tokens":8}}}"#,
            #" { "model" : "up" , "usage" : { "prompt_tokens" : 2 } } "#,
            #"{"error":{"message":"no"},"model":"up"}"#,
            #"{"model":"up"} trailing"#,
            #"["model"]"#,
            #"{"model":"up","usage":{"prompt_tokens":2,}}"#,
            #"{"model":"up","usage":{"prompt_tokens":2}"#,
            "{\"model\":\"\u{1}\"}",
            #"{}"#,
        ]
        for body in bodies {
            let bytes = Array(body.utf8)
            let walked = try? OpenAIResponseRewriter.rewrite(bytes, alias: "alias", embeddingsAsBase64: false)
            let object = try? JSONScanner.object(in: bytes)
            guard let object, object.member("error") == nil else {
                #expect(walked == nil, "\(body)")
                continue
            }
            var expected: [UInt8] = []
            object.append(replacingValuesOf: "model", with: JSONString.encode("alias"), to: &expected)
            #expect(walked?.body == expected, "\(body)")
            #expect(walked?.usage == object.member("usage").flatMap { Usage(bytes, range: $0.valueRange) }, "\(body)")
        }
    }
}
