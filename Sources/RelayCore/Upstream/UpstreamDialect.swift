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
    /// A Responses call to a backend that serves Responses itself (`apis: [responses]`): passed
    /// through, a follow-up's stored conversation put before its input.
    case responsesNative
    /// A Responses call to an OpenAI-chat backend: Responses translated to chat and back.
    case responsesOverOpenAI
    /// A Responses call to Ollama: Responses to chat, then chat to Ollama's API, and back.
    case responsesOverOllama

    init(endpoint: Endpoint, backend: BackendConfig) {
        switch (endpoint.api, backend.type) {
        case (.chat, .ollama): self = .ollama
        case (.chat, _): self = .openAI
        case (.messages, .ollama): self = .messagesOverOllama
        case (.messages, _): self = backend.apis.contains(.messages) ? .messagesNative : .messagesOverOpenAI
        case (.responses, .ollama): self = .responsesOverOllama
        case (.responses, _): self = backend.apis.contains(.responses) ? .responsesNative : .responsesOverOpenAI
        }
    }

    /// Whether the backend is spoken to in the client's own API.
    var isPassthrough: Bool { self == .openAI || self == .messagesNative || self == .responsesNative }

    /// The upstream request; a client body that cannot be said in the backend's API is a 400.
    /// `conversation` is a Responses follow-up's stored items (`ResponsesConversation`).
    func request(
        endpoint: Endpoint,
        client: ClientRequest,
        conversation: [UInt8]? = nil,
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
        case .responsesNative:
            var request = client
            if let conversation {
                guard let expanded = ResponsesConversation.expandedRequest(client, previous: conversation) else {
                    throw ClientRequestError(
                        message: "the stored conversation of this response cannot be read",
                        param: "previous_response_id")
                }
                request = try ClientRequest(body: expanded)
            }
            return OpenAIUpstream.request(
                endpoint: endpoint,
                client: request,
                target: target,
                clientHeaders: clientHeaders,
                requestID: requestID,
                trace: trace
            )
        case .messagesOverOpenAI, .responsesOverOpenAI:
            let chat = try ClientRequest(
                body: chatBody(client, conversation: conversation, upstreamModel: target.upstreamModel))
            return OpenAIUpstream.request(
                endpoint: .chatCompletions,
                client: chat,
                target: target,
                clientHeaders: clientHeaders,
                requestID: requestID,
                trace: trace
            )
        case .ollama, .messagesOverOllama, .responsesOverOllama:
            let request =
                self == .ollama
                ? client
                : try ClientRequest(
                    body: chatBody(client, conversation: conversation, upstreamModel: target.upstreamModel))
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

    /// The chat request a Messages or Responses request is translated to.
    private func chatBody(_ client: ClientRequest, conversation: [UInt8]?, upstreamModel: String)
        throws(ClientRequestError) -> [UInt8]
    {
        switch self {
        case .messagesOverOpenAI, .messagesOverOllama:
            return try MessagesToChat.body(client, upstreamModel: upstreamModel)
        default:
            let history = try conversation.map { items throws(ClientRequestError) in
                try ResponsesConversation.chatHistory(items)
            }
            return try ResponsesToChat.body(client, history: history, upstreamModel: upstreamModel)
        }
    }

    /// The client's answer from the upstream's complete (non-streamed) answer; for Responses,
    /// also the response's id and output items, which Relay stores.
    func answer(
        _ body: [UInt8],
        endpoint: Endpoint,
        alias: String,
        client: ClientRequest
    ) throws(UpstreamFailure) -> UpstreamAnswer {
        switch self {
        case .openAI:
            do {
                let rewritten = try OpenAIResponseRewriter.rewrite(
                    body,
                    alias: alias,
                    embeddingsAsBase64: endpoint == .embeddings && client.wantsBase64
                )
                return UpstreamAnswer(body: rewritten.body, usage: rewritten.usage)
            } catch {
                throw .broken(error.reason)
            }
        case .ollama:
            do {
                let answer =
                    switch endpoint {
                    case .chatCompletions, .messages, .messagesCountTokens, .responses:
                        try OllamaChatAnswer.translate(body, alias: alias)
                    case .completions: try OllamaGenerateAnswer.translate(body, alias: alias)
                    case .embeddings: try OllamaEmbedAnswer.translate(body, alias: alias, asBase64: client.wantsBase64)
                    }
                return UpstreamAnswer(body: answer.body, usage: answer.usage)
            } catch {
                throw .broken("unreadable answer: \(error.message)")
            }
        case .messagesNative:
            do {
                let rewritten = try MessagesAnswerRewriter.rewrite(body, alias: alias)
                return UpstreamAnswer(body: rewritten.body, usage: rewritten.usage)
            } catch {
                throw .broken(error.reason)
            }
        case .messagesOverOpenAI, .messagesOverOllama:
            do {
                let chat = self == .messagesOverOpenAI ? body : try OllamaChatAnswer.translate(body, alias: alias).body
                let message = try ChatToMessages.message(chat, alias: alias)
                return UpstreamAnswer(body: message.body, usage: message.usage)
            } catch let error as ChatToMessagesError {
                throw .broken("unreadable answer: \(error.reason)")
            } catch {
                throw .broken("unreadable answer: \(error)")
            }
        case .responsesNative:
            do {
                let rewritten = try ResponsesAnswerRewriter.rewrite(
                    body, alias: alias, previousResponseID: client.object.string("previous_response_id"))
                var answer = UpstreamAnswer(body: rewritten.body, usage: rewritten.usage)
                if let id = rewritten.id, let items = rewritten.outputItems {
                    answer.response = ResponseOutput(id: id, response: rewritten.body, items: items)
                }
                return answer
            } catch {
                throw .broken(error.reason)
            }
        case .responsesOverOpenAI, .responsesOverOllama:
            do {
                let chat =
                    self == .responsesOverOpenAI ? body : try OllamaChatAnswer.translate(body, alias: alias).body
                let id = ResponseOutput.newID()
                let answer = try ChatToResponses.response(
                    chat, id: id, alias: alias, createdAt: ResponseOutput.now(), request: client)
                return UpstreamAnswer(
                    body: answer.body, usage: answer.usage,
                    response: ResponseOutput(id: id, response: answer.body, items: answer.outputItems))
            } catch let error as ChatToResponsesError {
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
        case .openAI, .messagesNative, .messagesOverOpenAI, .responsesNative, .responsesOverOpenAI:
            // Anthropic's error body keeps its message in `error.message` too.
            return OpenAIUpstream.errorMessage(body, status: status, upstreamModel: upstreamModel, alias: alias)
        case .ollama, .messagesOverOllama, .responsesOverOllama:
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
        case .responsesNative:
            return ResponsesPassthroughStream(
                alias: alias, upstreamModel: upstreamModel, promptEstimate: promptEstimate,
                previousResponseID: client.object.string("previous_response_id"))
        case .responsesOverOpenAI:
            return ResponsesOverChatStream(
                chat: ChatBytesStream(), alias: alias, upstreamModel: upstreamModel, client: client,
                promptEstimate: promptEstimate)
        case .responsesOverOllama:
            return ResponsesOverChatStream(
                chat: OllamaStreamTranslator(
                    kind: .chat, alias: alias, upstreamModel: upstreamModel, clientWantsUsage: true,
                    promptEstimate: promptEstimate),
                alias: alias, upstreamModel: upstreamModel, client: client, promptEstimate: promptEstimate)
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
