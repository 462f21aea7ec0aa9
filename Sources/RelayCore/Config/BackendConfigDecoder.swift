import RelayWire
import RelayYAML

/// Decodes `backends:`, one entry per backend name.
struct BackendConfigDecoder {
    let reader: ConfigReader

    static let knownKeys = [
        "type", "base_url", "api_key", "max_concurrency", "connect_timeout_s", "first_byte_timeout_s",
        "request_timeout_s", "idle_timeout_s", "keep_alive", "options", "health_path", "health_interval_s",
        "circuit", "busy_when", "drop_params", "ca_file", "forward_headers", "apis", "price",
    ]

    func decode(_ entries: [(key: String, field: ConfigField)]) -> [String: BackendConfig] {
        var backends: [String: BackendConfig] = [:]
        for (name, field) in entries {
            if let backend = decode(name: name, field) { backends[name] = backend }
        }
        return backends
    }

    /// Every field is checked even when `type` or `base_url` is bad, so all problems show at once.
    private func decode(name: String, _ field: ConfigField) -> BackendConfig? {
        guard reader.isMappingOrNull(field) else { return nil }
        let fields = reader.fields(of: field, known: Self.knownKeys)
        let type = reader.required("type", in: fields).flatMap {
            reader.choice($0, named: "type", as: BackendType.self)
        }
        let baseURL = reader.required("base_url", in: fields).flatMap { BaseURL(reader: reader).normalized($0) }

        // A placeholder type lets the shared fields be checked; the result is discarded below.
        var backend = BackendConfig(name: name, type: type ?? .vllm, baseURL: baseURL ?? "")
        if let apiKey = fields["api_key"].flatMap({ reader.string($0) }) {
            // Empty means none, so `api_key: ${KEY:-}` makes a key optional.
            backend.apiKey = apiKey.isEmpty ? nil : apiKey
        }
        // Null, like leaving it out, is no cap.
        if let limit = reader.nullable(fields["max_concurrency"], { reader.int($0, atLeast: 1) }) {
            backend.maxConcurrency = limit ?? .max
        }
        decodeTimeouts(fields, into: &backend)
        if let type { decodeTypeSpecific(fields, type: type, into: &backend) }
        if let healthPath = reader.nullable(fields["health_path"], healthPath) { backend.healthPath = healthPath }
        if let interval = fields["health_interval_s"].flatMap({ reader.seconds($0) }) {
            backend.healthInterval = interval
        }
        if let circuit = fields["circuit"].map(decodeCircuit) { backend.circuit = circuit }
        if let dropParams = fields["drop_params"].flatMap({ reader.stringList($0) }) { backend.dropParams = dropParams }
        if let field = fields["forward_headers"] { backend.forwardHeaders = forwardHeaders(field) }
        if let field = fields["apis"] {
            if type == .ollama {
                reader.report(field.path, "not for ollama: Relay speaks Ollama's own API and translates every other")
            } else if let apis = reader.list(field) {
                backend.apis = Set(apis.compactMap { reader.choice($0, named: "API", as: ClientAPI.self) })
            }
        }
        backend.price = fields["price"].flatMap { $0.isNull ? nil : QuotaConfigDecoder(reader: reader).price($0) }
        if let bundle = reader.nullable(fields["ca_file"], reader.caBundle) { backend.caBundle = bundle }
        if backend.caBundle != nil, let baseURL, !baseURL.lowercased().hasPrefix("https://") {
            reader.report(fields.childPath("ca_file"), "only used with an https base_url")
        }

        guard type != nil, baseURL != nil else { return nil }
        return backend
    }

    private func decodeTimeouts(_ fields: ConfigFields, into backend: inout BackendConfig) {
        if let timeout = fields["connect_timeout_s"].flatMap({ reader.seconds($0) }) {
            backend.connectTimeout = timeout
        }
        if let timeout = fields["first_byte_timeout_s"].flatMap({ reader.seconds($0) }) {
            backend.firstByteTimeout = timeout
        }
        if let timeout = fields["request_timeout_s"].flatMap({ reader.seconds($0) }) {
            backend.requestTimeout = timeout
        }
        if let timeout = fields["idle_timeout_s"].flatMap({ reader.seconds($0) }) { backend.idleTimeout = timeout }
    }

    private func decodeTypeSpecific(_ fields: ConfigFields, type: BackendType, into backend: inout BackendConfig) {
        if let field = fields["keep_alive"] {
            if type == .ollama {
                backend.keepAlive = OllamaKeepAlive(reader: reader).value(field)
            } else {
                reader.report(field.path, "only allowed for type ollama")
            }
        }
        if let field = fields["options"] {
            if type != .ollama {
                reader.report(field.path, "only allowed for type ollama")
            } else if field.node.mapping == nil && !field.isNull {
                reader.report(field.path, "expected a mapping, got \(reader.describe(field.node))")
            } else if case .object(let options) = reader.jsonValue(field) {
                backend.options = Dictionary(options, uniquingKeysWith: { _, last in last })
            }
        }
        if let field = fields["busy_when"], let waiting = decodeBusyWhen(field) {
            // SPEC's own example sets busy_when on an Ollama backend, so it is accepted on every
            // type; only vLLM exposes a queue length, so for the others it is dropped.
            backend.busyWhenWaiting = type == .vllm ? waiting : nil
        }
    }

    /// Header names (`x-tenant`) or prefixes (`x-tenant-*`), lowercased: letters, digits and
    /// `-` only, so no underscore look-alike of another header is named.
    private func forwardHeaders(_ field: ConfigField) -> [String] {
        guard let names = reader.list(field) else { return [] }
        return names.compactMap { entry in
            guard let name = reader.nonEmptyString(entry) else { return nil }
            let stem = name.hasSuffix("*") ? name.dropLast() : Substring(name)
            let isNameByte = { (byte: UInt8) in
                (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A) || byte == 0x2D
            }
            guard !stem.isEmpty, stem.utf8.allSatisfy(isNameByte) else {
                reader.report(entry.path, "a header name (letters, digits, -) or a prefix ending in *")
                return nil
            }
            return name.lowercased()
        }
    }

    private func healthPath(_ field: ConfigField) -> String? {
        guard let path = reader.string(field) else { return nil }
        guard path.hasPrefix("/") else {
            reader.report(field.path, "must start with \"/\" (or be null for no active health checks)")
            return nil
        }
        return path
    }

    private func decodeCircuit(_ field: ConfigField) -> CircuitConfig {
        let fields = reader.fields(of: field, known: ["failures", "cooldown_s"])
        var circuit = CircuitConfig()
        if let failures = fields["failures"].flatMap({ reader.int($0, atLeast: 1) }) { circuit.failures = failures }
        if let cooldown = fields["cooldown_s"].flatMap({ reader.seconds($0) }) { circuit.cooldown = cooldown }
        return circuit
    }

    private func decodeBusyWhen(_ field: ConfigField) -> Int? {
        let fields = reader.fields(of: field, known: ["waiting"])
        return reader.required("waiting", in: fields).flatMap { reader.int($0, atLeast: 1) }
    }
}
