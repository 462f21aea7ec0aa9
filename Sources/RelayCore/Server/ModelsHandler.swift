import HTTPTypes
import NIOCore
import RelayHTTP
import RelayWire

/// `GET /v1/models` and `GET /v1/models/{id}`: only what the key's scopes allow, decided by
/// the same `ModelPolicy` that guards model requests.
struct ModelsHandler {
    let state: GatewayState
    /// The client's address, for throttling repeated wrong keys.
    var client: ClientAddressKey

    func handle(_ request: ClientRequestHead, path: String, record: inout AccessRecord) async throws(RelayError)
        -> RelayResponse
    {
        let authorization = request.headerFields.value(.authorization)
        guard let principal = await state.authenticator.authenticate(authorization: authorization, client: client)
        else { throw .invalidAPIKey }
        record.key = principal.name
        record.status = 200
        if path == "/v1/models" {
            let visible = state.modelNames.filter { ModelPolicy.allows(principal, model: $0) }
            let data = visible.map(modelObject).joined(separator: [UInt8(ascii: ",")])
            return GatewayResponder.json(.ok, Array("{\"object\":\"list\",\"data\":[".utf8) + data + Array("]}".utf8))
        }
        let id = PercentDecoding.decode(path.dropFirst("/v1/models/".count)) ?? ""
        // Outside the key's scopes is answered as missing: a key learns nothing of other models.
        guard state.config.models[id] != nil, ModelPolicy.allows(principal, model: id) else {
            throw .modelNotFound(model: id)
        }
        record.model = id
        return GatewayResponder.json(.ok, modelObject(id))
    }

    private func modelObject(_ name: String) -> [UInt8] {
        Array("{\"id\":".utf8) + JSONString.encode(name)
            + Array(",\"object\":\"model\",\"created\":\(state.loadedAt),\"owned_by\":\"relay\"}".utf8)
    }
}
