/// Decodes `server:`. Defaults are `ServerConfig`'s initial values.
struct ServerConfigDecoder {
    let reader: ConfigReader

    static let knownKeys = [
        "host", "port", "admin_port", "max_body_bytes", "header_timeout_s", "body_timeout_s",
        "write_timeout_s",
        "drain_delay_s", "shutdown_grace_s", "metrics_path", "trusted_proxies", "tls",
    ]

    /// Routes the gateway itself serves; a metrics path on one of them would shadow it.
    static let reservedPaths = ["/healthz", "/readyz", "/v1"]

    func decode(_ field: ConfigField?, at path: String) -> ServerConfig {
        let fields = reader.fields(of: field, at: path, known: Self.knownKeys)
        var server = ServerConfig()
        if let host = fields["host"].flatMap({ reader.nonEmptyString($0) }) { server.host = host }
        if let port = fields["port"].flatMap({ reader.int($0, atLeast: 1, atMost: 65535) }) { server.port = port }
        if let adminPort = reader.nullable(fields["admin_port"], { reader.int($0, atLeast: 1, atMost: 65535) }) {
            server.adminPort = adminPort
        }
        if let adminPort = server.adminPort, adminPort == server.port {
            reader.report(fields.childPath("admin_port"), "must differ from server.port (\(server.port))")
        }
        if let bytes = fields["max_body_bytes"].flatMap({ reader.int($0, atLeast: 1) }) { server.maxBodyBytes = bytes }
        if let timeout = fields["header_timeout_s"].flatMap({ reader.seconds($0) }) { server.headerTimeout = timeout }
        if let timeout = fields["body_timeout_s"].flatMap({ reader.seconds($0) }) { server.bodyTimeout = timeout }
        if let timeout = fields["write_timeout_s"].flatMap({ reader.seconds($0) }) { server.writeTimeout = timeout }
        // Zero is meaningful here: stop accepting as soon as /readyz turns 503.
        if let delay = fields["drain_delay_s"].flatMap({ reader.seconds($0, allowZero: true) }) {
            server.drainDelay = delay
        }
        if let grace = fields["shutdown_grace_s"].flatMap({ reader.seconds($0) }) { server.shutdownGrace = grace }
        if let metricsPath = reader.nullable(fields["metrics_path"], metricsPath) { server.metricsPath = metricsPath }
        if let proxies = fields["trusted_proxies"].flatMap(trustedProxies) { server.trustedProxies = proxies }
        if let tls = reader.nullable(fields["tls"], ServerTLSDecoder(reader: reader).decode) { server.tls = tls }
        return server
    }

    private func metricsPath(_ field: ConfigField) -> String? {
        guard let path = reader.string(field) else { return nil }
        guard path.hasPrefix("/") else {
            reader.report(field.path, "must start with \"/\" (or be null to disable metrics)")
            return nil
        }
        if Self.reservedPaths.contains(where: { path == $0 || path.hasPrefix($0 + "/") }) {
            reader.report(field.path, "\(reader.shown(field, "\"\(path)\"")) is already served by Relay")
            return nil
        }
        return path
    }

    private func trustedProxies(_ field: ConfigField) -> [String]? {
        guard let elements = reader.list(field) else { return nil }
        var proxies: [String] = []
        var valid = true
        for element in elements {
            guard let text = reader.string(element) else {
                valid = false
                continue
            }
            if CIDR.isValid(text) {
                proxies.append(text)
            } else {
                let shown = reader.shown(element, "\"\(text)\"")
                reader.report(element.path, "expected an IPv4 or IPv6 address or CIDR, got \(shown)")
                valid = false
            }
        }
        return valid ? proxies : nil
    }
}
