import Foundation
import HTTPTypes
import RelayHTTP
import RelayWire

/// How a request in the client's API is said to a backend, and its answer read back.
enum UpstreamDialect {
    /// A chat-API call to `type: vllm` or `type: openai`: the OpenAI API, passed through.
    case openAI
    /// A chat-API call to `type: ollama`: Ollama's native API, translated both ways.
    case ollama
    /// A Messages call to a backend that serves Messages itself (`apis: [messages]`): passed
    /// through, as chat is.
    case messagesNative
    /// A Messages call to an OpenAI-chat backend: Messages translated to chat and back.
    case messagesOverOpenAI
    /// A Messages call to Ollama: Messages to chat, then chat to Ollama's API, and back.
    case messagesOverOllama

    init(endpoint: Endpoint, backend: BackendConfig) {
        switch (endpoint.api, backend.type) {
        case (.chat, .ollama), (.responses, .ollama): self = .ollama
        case (.chat, _), (.responses, _): self = .openAI
        case (.messages, .ollama): self = .messagesOverOllama
        case (.messages, _): self = backend.apis.contains(.messages) ? .messagesNative : .messagesOverOpenAI
        }
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
        case .openAI, .messagesNative:
            return OpenAIUpstream.request(
                endpoint: endpoint,
                client: client,
                target: target,
                clientHeaders: clientHeaders,
                requestID: requestID,
                trace: trace
            )
        case .messagesOverOpenAI:
            let chat = try ClientRequest(body: MessagesToChat.body(client, upstreamModel: target.upstreamModel))
            return OpenAIUpstream.request(
                endpoint: .chatCompletions,
                client: chat,
                target: target,
                clientHeaders: clientHeaders,
                requestID: requestID,
                trace: trace
            )
        case .ollama, .messagesOverOllama:
            let request =
                self == .ollama
                ? client : try ClientRequest(body: MessagesToChat.body(client, upstreamModel: target.upstreamModel))
            let ollamaEndpoint = self == .ollama ? endpoint : .chatCompletions
            let body: [UInt8]
            do {
                body = try OllamaRequest.body(
                    for: ollamaEndpoint,
                    request: request.dropping(target.backend.config.dropParams),
                    upstreamModel: target.upstreamModel,
                    defaults: OllamaBackendDefaults(target.backend.config)
                )
            } catch {
                throw ClientRequestError(message: error.message, param: error.param)
            }
            return UpstreamHeaders.request(
                path: target.backend.upstreamPath(for: ollamaEndpoint),
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
                    case .chatCompletions, .messages, .messagesCountTokens:
                        try OllamaChatAnswer.translate(body, alias: alias)
                    case .completions: try OllamaGenerateAnswer.translate(body, alias: alias)
                    case .embeddings: try OllamaEmbedAnswer.translate(body, alias: alias, asBase64: client.wantsBase64)
                    }
                return (answer.body, answer.usage)
            } catch {
                throw .broken("unreadable answer: \(error.message)")
            }
        case .messagesNative:
            do {
                let rewritten = try MessagesAnswerRewriter.rewrite(body, alias: alias)
                return (rewritten.body, rewritten.usage)
            } catch {
                throw .broken(error.reason)
            }
        case .messagesOverOpenAI, .messagesOverOllama:
            do {
                let chat = self == .messagesOverOpenAI ? body : try OllamaChatAnswer.translate(body, alias: alias).body
                let message = try ChatToMessages.message(chat, alias: alias)
                return (message.body, message.usage)
            } catch let error as ChatToMessagesError {
                throw .broken("unreadable answer: \(error.reason)")
            } catch {
                throw .broken("unreadable answer: \(error)")
            }
        }
    }

    /// The message (and parameter) of an error answer, without the upstream model's name or
    /// internal URLs and paths (`UpstreamErrorScrubber`).
    func errorMessage(_ body: [UInt8], status: Int, upstreamModel: String, alias: String)
        -> (message: String, param: String?)
    {
        switch self {
        case .openAI, .messagesNative, .messagesOverOpenAI:
            // Anthropic's error body keeps its message in `error.message` too.
            return OpenAIUpstream.errorMessage(body, status: status, upstreamModel: upstreamModel, alias: alias)
        case .ollama, .messagesOverOllama:
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
        case .messagesNative:
            return MessagesPassthroughStream(alias: alias, upstreamModel: upstreamModel, promptEstimate: promptEstimate)
        case .messagesOverOpenAI:
            return MessagesOverChatStream(
                chat: ChatBytesStream(),
                alias: alias,
                upstreamModel: upstreamModel,
                promptEstimate: promptEstimate
            )
        case .messagesOverOllama:
            return MessagesOverChatStream(
                chat: OllamaStreamTranslator(
                    kind: .chat,
                    alias: alias,
                    upstreamModel: upstreamModel,
                    clientWantsUsage: true,
                    promptEstimate: promptEstimate
                ),
                alias: alias,
                upstreamModel: upstreamModel,
                promptEstimate: promptEstimate
            )
        }
    }
}
