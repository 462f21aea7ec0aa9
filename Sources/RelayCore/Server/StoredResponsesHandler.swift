import HTTPTypes
import NIOCore
import RelayHTTP
import RelayWire

/// `GET /v1/responses/{id}` and `DELETE /v1/responses/{id}` (SPEC §8): a stored response,
/// read or deleted by the key that created it. Another key's response, like one that never
/// existed, expired or was deleted, is a 404.
struct StoredResponsesHandler {
    static let pathPrefix = "/v1/responses/"

    let gateway: Gateway
    let state: GatewayState
    /// The client's address, for throttling repeated wrong keys.
    var client: ClientAddressKey

    func handle(_ request: ClientRequestHead, path: String, record: inout AccessRecord) async throws(RelayError)
        -> RelayResponse
    {
        record.api = .responses
        let authorization = request.headerFields.value(.authorization)
        guard let principal = await state.authenticator.authenticate(authorization: authorization, client: client)
        else { throw .invalidAPIKey }
        record.key = principal.name
        let id = String(path.dropFirst(Self.pathPrefix.count))
        // Sub-resources (`input_items`, `cancel`) are not served.
        guard !id.isEmpty, !id.contains("/") else { throw .routeNotFound(path: path) }
        guard request.method == .get || request.method == .delete else { throw .methodNotAllowed }
        let stored: StoredResponse?
        do {
            stored = try await gateway.responses.load(id: id)
        } catch {
            throw .responseStoreUnavailable
        }
        guard let stored, stored.owner == principal.name else { throw .responseNotFound(id: id) }
        if request.method == .get {
            return GatewayResponder.json(.ok, stored.response)
        }
        do {
            _ = try await gateway.responses.delete(id: id)
        } catch {
            throw .responseStoreUnavailable
        }
        var deleted = JSONObjectBuilder()
        deleted.add("id", string: id)
        deleted.add("object", string: "response")
        deleted.add("deleted", bool: true)
        return GatewayResponder.json(.ok, deleted.bytes())
    }
}
