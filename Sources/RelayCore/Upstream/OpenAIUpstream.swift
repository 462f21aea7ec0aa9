import HTTPTypes
import NIOCore
import RelayHTTP
import RelayWire

/// How Relay passes a request through to a backend that serves the client's API (chat on
/// `type: vllm` and `type: openai`, Messages where `apis` lists it): the client's body with
/// `model` swapped and passed through otherwise.
enum OpenAIUpstream {
    static func request(
        endpoint: Endpoint,
        client: ClientRequest,
        target: Target,
        clientHeaders: HTTPFields,
        requestID: String,
        trace: TraceContext? = nil
    ) -> UpstreamRequest {
        UpstreamHeaders.request(
            path: target.backend.upstreamPath(for: endpoint),
            clientHeaders: clientHeaders,
            backend: target.backend,
            requestID: requestID,
            trace: trace,
            body: body(endpoint: endpoint, client: client, target: target)
        )
    }

    static func body(endpoint: Endpoint, client: ClientRequest, target: Target) -> [UInt8] {
        let model = JSONString.encode(target.upstreamModel)
        // Only chat has `stream_options`; a Messages stream tells its usage in its own events.
        let asksForUsage = client.stream && endpoint.streams && endpoint.api == .chat
        let drops = target.backend.config.dropParams.contains { $0 != "model" && client.object.member($0) != nil }
        guard asksForUsage || drops else {
            // Only `model` changes: every other byte as the client sent it, spliced around it.
            var out: [UInt8] = []
            client.object.append(replacingValuesOf: "model", with: model, to: &out)
            return out
        }
        var rewriter = JSONObjectRewriter(client.object)
        rewriter.set("model", to: model)
        for field in target.backend.config.dropParams where field != "model" {
            rewriter.drop(field)
        }
        if asksForUsage {
            // Always ask for the usage chunk so the limiter settles on real counts; it is
            // removed again on the way back when the client did not ask for it.
            var options = client.object.object("stream_options").map { JSONObjectRewriter($0) }
            options?.set("include_usage", to: Array("true".utf8))
            rewriter.set("stream_options", to: options?.bytes() ?? Array("{\"include_usage\":true}".utf8))
        }
        return rewriter.bytes()
    }

    /// The message of an upstream error answer, with the upstream model name replaced by the
    /// client's alias so the client never learns what serves it.
    static func errorMessage(_ body: [UInt8], status: Int, upstreamModel: String, alias: String)
        -> (message: String, param: String?)
    {
        var message: String?
        var param: String?
        if let object = try? JSONScanner.object(in: body) {
            if let error = object.object("error") {
                message = error.string("message")
                param = error.string("param")
            } else {
                message = object.string("message") ?? object.string("detail") ?? object.string("error")
            }
        }
        let text = message ?? "The upstream rejected the request with status \(status)."
        return (
            UpstreamErrorScrubber.scrub(text, upstreamModel: upstreamModel, alias: alias),
            param.map { UpstreamErrorScrubber.scrub($0, upstreamModel: upstreamModel, alias: alias) }
        )
    }
}
