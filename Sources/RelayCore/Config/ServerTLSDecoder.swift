/// Decodes `server.tls: {cert_path, key_path}` and checks that the files make a usable TLS
/// context, so a bad certificate fails `relay check-config`, the start, or a reload (which then
/// keeps the running certificate).
struct ServerTLSDecoder {
    let reader: ConfigReader

    static let knownKeys = ["cert_path", "key_path"]

    func decode(_ field: ConfigField) -> ServerTLSConfig? {
        guard reader.isMappingOrNull(field) else { return nil }
        let fields = reader.fields(of: field, known: Self.knownKeys)
        let certPath = reader.required("cert_path", in: fields).flatMap { reader.nonEmptyString($0) }
        let keyPath = reader.required("key_path", in: fields).flatMap { reader.nonEmptyString($0) }
        guard let certPath, let keyPath else { return nil }
        let config = ServerTLSConfig(certPath: certPath, keyPath: keyPath)
        if case .failure(let failure) = ServerTLSContext.make(config) {
            reader.report(fields.childPath(failure.key), failure.message)
            return nil
        }
        return config
    }
}
