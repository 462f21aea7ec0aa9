import Foundation
import HTTPTypes
import RelayHTTP
import RelayWire

/// The API a backend speaks, and so how a request is sent to it and its answer read back.
enum UpstreamDialect {
    /// `type: vllm` and `type: openai`: the OpenAI API, passed through.
    case openAI
    /// `type: ollama`: Ollama's native API, translated both ways.
    case ollama

    init(_ type: BackendType) {
        self = type == .ollama ? .ollama : .openAI
    }

    /// The upstream request; a client body that cannot be said in the backend's API is a 400.
    func request(
        endpoint: Endpoint,
        client: ClientRequest,
        target: Target,
        clientHeaders: HTTPFields,
        requestID: String,
        trace: TraceContext? = nil
    ) throws(ClientRequestError) -> UpstreamRequest {
        switch self {
        case .openAI:
            return OpenAIUpstream.request(
                endpoint: endpoint,
                client: client,
                target: target,
                clientHeaders: clientHeaders,
                requestID: requestID,
                trace: trace
            )
        case .ollama:
            let body: [UInt8]
            do {
                body = try OllamaRequest.body(
                    for: endpoint,
                    request: client.dropping(target.backend.config.dropParams),
                    upstreamModel: target.upstreamModel,
                    defaults: OllamaBackendDefaults(target.backend.config)
                )
            } catch {
                throw ClientRequestError(message: error.message, param: error.param)
            }
            return UpstreamHeaders.request(
                path: target.backend.upstreamPath(for: endpoint),
                clientHeaders: clientHeaders,
                backend: target.backend,
                requestID: requestID,
                trace: trace,
                body: body
            )
        }
    }

    /// The client's answer from the upstream's complete (non-streamed) answer.
    func answer(
        _ body: [UInt8],
        endpoint: Endpoint,
        alias: String,
        client: ClientRequest
    ) throws(UpstreamFailure) -> (body: [UInt8], usage: Usage?) {
        switch self {
        case .openAI:
            do {
                let rewritten = try OpenAIResponseRewriter.rewrite(
                    body,
                    alias: alias,
                    embeddingsAsBase64: endpoint == .embeddings && client.wantsBase64
                )
                return (rewritten.body, rewritten.usage)
            } catch {
                throw .broken(error.reason)
            }
        case .ollama:
            do {
                let answer =
                    switch endpoint {
                    case .chatCompletions: try OllamaChatAnswer.translate(body, alias: alias)
                    case .completions: try OllamaGenerateAnswer.translate(body, alias: alias)
                    case .embeddings: try OllamaEmbedAnswer.translate(body, alias: alias, asBase64: client.wantsBase64)
                    }
                return (answer.body, answer.usage)
            } catch {
                throw .broken("unreadable answer: \(error.message)")
            }
        }
    }

    /// The message (and parameter) of an error answer, without the upstream model's name or
    /// internal URLs and paths (`UpstreamErrorScrubber`).
    func errorMessage(_ body: [UInt8], status: Int, upstreamModel: String, alias: String)
        -> (message: String, param: String?)
    {
        switch self {
        case .openAI:
            return OpenAIUpstream.errorMessage(body, status: status, upstreamModel: upstreamModel, alias: alias)
        case .ollama:
            let message = OllamaErrorMessage.message(in: body, upstreamModel: upstreamModel, alias: alias)
            return (message ?? "The upstream rejected the request with status \(status).", nil)
        }
    }

    func streamTranslator(
        endpoint: Endpoint,
        alias: String,
        upstreamModel: String,
        client: ClientRequest,
        promptEstimate: Int
    ) -> any StreamTranslator {
        switch self {
        case .openAI:
            return OpenAIStreamTranslator(
                alias: alias,
                upstreamModel: upstreamModel,
                clientWantsUsage: client.includeUsage,
                promptEstimate: promptEstimate
            )
        case .ollama:
            return OllamaStreamTranslator(
                kind: endpoint == .completions ? .completion : .chat,
                alias: alias,
                upstreamModel: upstreamModel,
                clientWantsUsage: client.includeUsage,
                promptEstimate: promptEstimate
            )
        }
    }
}
