import AsyncHTTPClient
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1

/// How Relay speaks to a backend that talks the OpenAI API (`type: vllm` and `type: openai`):
/// the client's body with `model` swapped, the backend's key instead of the client's.
enum OpenAIUpstream {
    /// Request headers that never leave Relay: credentials, hop-by-hop headers, and the ones
    /// Relay sets itself.
    static let requestHeadersNotForwarded: Set<String> = [
        "authorization", "proxy-authorization", "host", "content-length", "accept-encoding", "connection",
        "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "expect",
        "x-request-id", "openai-organization", "openai-project",
    ]

    /// Response headers that never reach the client: hop-by-hop headers, the upstream's own rate
    /// limits and cookies, and the ones Relay sets itself.
    static let responseHeadersNotPassedBack: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
        "content-length", "set-cookie", "server", "date", "x-request-id",
    ]

    static func request(
        endpoint: Endpoint,
        client: ClientRequest,
        target: Target,
        clientHeaders: HTTPFields,
        requestID: String
    ) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: target.backend.url(for: endpoint))
        request.method = .POST
        for field in clientHeaders where !requestHeadersNotForwarded.contains(field.name.canonicalName) {
            request.headers.add(name: field.name.rawName, value: field.value)
        }
        request.headers.replaceOrAdd(name: "content-type", value: "application/json")
        request.headers.add(name: "x-request-id", value: requestID)
        if let authorization = target.backend.authorization {
            request.headers.add(name: "authorization", value: authorization)
        }
        request.body = .bytes(ByteBuffer(bytes: body(endpoint: endpoint, client: client, target: target)))
        return request
    }

    static func body(endpoint: Endpoint, client: ClientRequest, target: Target) -> [UInt8] {
        var rewriter = JSONObjectRewriter(client.object)
        rewriter.set("model", to: JSONString.encode(target.upstreamModel))
        for field in target.backend.config.dropParams where field != "model" {
            rewriter.drop(field)
        }
        if client.stream, endpoint.streams {
            // Always ask for the usage chunk so the limiter settles on real counts; it is
            // removed again on the way back when the client did not ask for it.
            var options = client.object.object("stream_options").map { JSONObjectRewriter($0) }
            options?.set("include_usage", to: Array("true".utf8))
            rewriter.set("stream_options", to: options?.bytes() ?? Array("{\"include_usage\":true}".utf8))
        }
        return rewriter.bytes()
    }

    static func responseHeaders(_ upstream: HTTPHeaders) -> HTTPFields {
        var fields = HTTPFields()
        for (name, value) in upstream {
            let lowercased = name.lowercased()
            guard !responseHeadersNotPassedBack.contains(lowercased), !lowercased.hasPrefix("x-ratelimit-"),
                let fieldName = HTTPField.Name(lowercased)
            else { continue }
            fields.append(HTTPField(name: fieldName, value: value))
        }
        return fields
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
        guard upstreamModel != alias, !upstreamModel.isEmpty else { return (text, param) }
        return (text.replacingOccurrences(of: upstreamModel, with: alias), param)
    }
}
