import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers
import NIOCore

@testable import RelayCore
@testable import RelayWire

/// An upstream that speaks the OpenAI wire format byte for byte as vLLM does, and misbehaves on
/// cue: the upstream model name it is sent picks the behaviour.
final class StubUpstream: Sendable {
    struct Received: Sendable {
        var path: String
        var headers: HTTPFields
        var body: String
    }

    private let received = NIOLockedValueBox<[Received]>([])
    /// Opened by a test to let `gated-stream` send the rest of its stream.
    let gate = AsyncGate()

    var requests: [Received] { received.withLockedValue { $0 } }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/v1/chat/completions") { request, _ in try await self.chat(request) }
        router.post("/v1/embeddings") { request, _ in try await self.embeddings(request) }
        router.post("/api/chat") { request, _ in try await self.ollamaChat(request) }
        return router
    }

    private func record(_ request: Request) async throws -> JSONObject {
        var request = request
        let body = try await request.collectBody(upTo: 1 << 20)
        let text = String(buffer: body)
        received.withLockedValue { $0.append(Received(path: request.uri.path, headers: request.headers, body: text)) }
        return try JSONScanner.object(in: Array(text.utf8))
    }

    private func chat(_ request: Request) async throws -> Response {
        let body = try await record(request)
        let model = body.string("model") ?? ""
        let includeUsage = body.object("stream_options")?.bool("include_usage") == true
        switch model {
        case "fail-400":
            return Self.json(
                .badRequest,
                #"{"error":{"message":"This model's maximum context length is 2048 tokens (model fail-400)","type":"BadRequestError","param":"messages","code":400}}"#
            )
        case "fail-404": return Self.json(.notFound, #"{"detail":"Not Found"}"#)
        case "fail-500": return Self.json(.internalServerError, #"{"error":"boom"}"#)
        case "fail-429": return Self.json(.tooManyRequests, #"{"error":{"message":"slow down"}}"#)
        case "empty-stream":
            return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: .init())
        case "slow-json":
            try await Task.sleep(for: .seconds(5))
        default: break
        }
        guard body.bool("stream") == true else {
            return Self.json(
                .ok,
                #"{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"\#(model)","choices":[{"index":0,"message":{"role":"assistant","content":"Hello there"},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"total_tokens":12,"completion_tokens":3}}"#
            )
        }
        let gate = self.gate
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", HTTPField.Name("x-ratelimit-remaining-requests")!: "5"],
            body: ResponseBody { writer in
                func chunk(_ delta: String, finish: String = "null") -> ByteBuffer {
                    ByteBuffer(
                        string:
                            #"data: {"id":"chatcmpl-2","object":"chat.completion.chunk","created":1700000000,"model":"\#(model)","choices":[{"index":0,"delta":\#(delta),"logprobs":null,"finish_reason":\#(finish)}]}"#
                            + "\n\n"
                    )
                }
                try await writer.write(chunk(#"{"role":"assistant","content":""}"#))
                try await writer.write(chunk(#"{"content":"Hel"}"#))
                switch model {
                case "gated-stream": await gate.wait()
                case "cut-stream": throw CancellationError()
                case "stall-stream": try await Task.sleep(for: .seconds(5))
                default: break
                }
                try await writer.write(chunk(#"{"content":"lo"}"#))
                try await writer.write(chunk("{}", finish: "\"stop\""))
                if includeUsage, model != "no-usage" {
                    try await writer.write(
                        ByteBuffer(
                            string:
                                #"data: {"id":"chatcmpl-2","object":"chat.completion.chunk","created":1700000000,"model":"\#(model)","choices":[],"usage":{"prompt_tokens":9,"total_tokens":11,"completion_tokens":2}}"#
                                + "\n\n"
                        )
                    )
                }
                try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
                try await writer.finish(nil)
            }
        )
    }

    private func embeddings(_ request: Request) async throws -> Response {
        let body = try await record(request)
        return Self.json(
            .ok,
            #"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.25,-0.5]}],"model":"\#(body.string("model") ?? "")","usage":{"prompt_tokens":2,"total_tokens":2}}"#
        )
    }

    // swift-format-ignore
    /// Ollama's `/api/chat`: one JSON answer, or NDJSON lines when `stream` is not false.
    private func ollamaChat(_ request: Request) async throws -> Response {
        let body = try await record(request)
        let model = body.string("model") ?? ""
        if model == "missing-model" {
            return Self.json(.notFound, #"{"error":"model \"missing-model\" not found, try pulling it first"}"#)
        }
        let done =
            #"{"model":"\#(model)","created_at":"2024-07-22T20:33:28.123648Z","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","total_duration":1,"prompt_eval_count":26,"eval_count":2}"#
        guard body.bool("stream") == true else {
            return Self.json(
                .ok,
                #"{"model":"\#(model)","created_at":"2024-07-22T20:33:28.123648Z","message":{"role":"assistant","content":"Hello there"},"done":true,"done_reason":"stop","prompt_eval_count":26,"eval_count":3}"#
            )
        }
        let lines = ["Hel", "lo"].map {
            #"{"model":"\#(model)","created_at":"2024-07-22T20:33:28.123648Z","message":{"role":"assistant","content":"\#($0)"},"done":false}"#
        }
        return Response(
            status: .ok,
            headers: [.contentType: "application/x-ndjson"],
            body: ResponseBody { writer in
                for line in lines + [done] {
                    // Split each line across two writes, as TCP may.
                    let bytes = Array((line + "\n").utf8)
                    try await writer.write(ByteBuffer(bytes: bytes[..<(bytes.count / 2)]))
                    try await writer.write(ByteBuffer(bytes: bytes[(bytes.count / 2)...]))
                }
                try await writer.finish(nil)
            }
        )
    }

    static func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }
}

/// A one-shot signal between a test and a stub.
final class AsyncGate: Sendable {
    private let state = NIOLockedValueBox<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func open() {
        let waiters = state.withLockedValue { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLockedValue { state in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }
}
