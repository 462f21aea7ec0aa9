import RelayYAML

/// Decodes `models:`, checking that every backend a model names exists.
struct ModelConfigDecoder {
    let reader: ConfigReader
    /// Every name under `backends:`, valid or not, so one bad backend is reported once and
    /// not again by every model that uses it.
    let backendNames: Set<String>

    static let knownKeys = [
        "backend", "upstream_model", "queue_timeout_s", "max_queue", "deadline_s", "fallbacks", "balance", "price",
    ]

    func decode(_ entries: [(key: String, field: ConfigField)]) -> [String: ModelConfig] {
        var models: [String: ModelConfig] = [:]
        for (name, field) in entries {
            if let model = decode(name: name, field) { models[name] = model }
        }
        return models
    }

    private func decode(name: String, _ field: ConfigField) -> ModelConfig? {
        guard reader.isMappingOrNull(field) else { return nil }
        if name.isEmpty || name == "*" {
            // "*" in scopes means every model, so a model called "*" could never be scoped alone.
            reader.report(field.path, "\"\(name)\" cannot be a model name")
        }
        let fields = reader.fields(of: field, known: Self.knownKeys)
        let backends = reader.required("backend", in: fields).flatMap(decodeBackends)
        let upstreamModel = fields["upstream_model"].map { reader.nonEmptyString($0) } ?? name
        var model = ModelConfig(name: name, backends: backends ?? [], upstreamModel: upstreamModel ?? name)
        if let timeout = fields["queue_timeout_s"].flatMap({ reader.seconds($0, allowZero: true) }) {
            model.queueTimeout = timeout
        }
        if let limit = fields["max_queue"].flatMap({ reader.int($0, atLeast: 1) }) { model.maxQueue = limit }
        if let balance = fields["balance"].flatMap({ reader.choice($0, named: "balance", as: Balance.self) }) {
            model.balance = balance
        }
        if let deadline = fields["deadline_s"].flatMap({ reader.seconds($0, allowZero: false) }) {
            model.deadline = deadline
        }
        if let fallbacks = fields["fallbacks"].flatMap({ decodeFallbacks($0, upstreamModel: model.upstreamModel) }) {
            model.fallbacks = fallbacks
        }
        model.price = fields["price"].flatMap { $0.isNull ? nil : QuotaConfigDecoder(reader: reader).price($0) }
        return backends == nil ? nil : model
    }

    /// One backend name, or a non-empty list of them to balance over.
    private func decodeBackends(_ field: ConfigField) -> [String]? {
        guard field.node.sequence != nil else {
            return backendName(field).map { [$0] }
        }
        guard let elements = reader.list(field) else { return nil }
        guard !elements.isEmpty else {
            reader.report(field.path, "must name at least one backend")
            return nil
        }
        var names: [String] = []
        for element in elements {
            guard let name = backendName(element) else { continue }
            if names.contains(name) {
                reader.report(element.path, "backend \(reader.shown(element, "\"\(name)\"")) is listed twice")
            } else {
                names.append(name)
            }
        }
        return names.count == elements.count ? names : nil
    }

    private func decodeFallbacks(_ field: ConfigField, upstreamModel: String) -> [TargetConfig]? {
        guard let elements = reader.list(field) else { return nil }
        let targets = elements.map { decodeFallback($0, upstreamModel: upstreamModel) }
        return targets.contains(where: { $0 == nil }) ? nil : targets.compactMap { $0 }
    }

    /// A plain string names a backend that is sent the model's own `upstream_model` (SPEC §2).
    private func decodeFallback(_ field: ConfigField, upstreamModel: String) -> TargetConfig? {
        guard field.node.mapping != nil else {
            return backendName(field).map { TargetConfig(backend: $0, upstreamModel: upstreamModel) }
        }
        let fields = reader.fields(of: field, known: ["backend", "upstream_model", "price"])
        let backend = reader.required("backend", in: fields).flatMap(backendName)
        let target = fields["upstream_model"].map { reader.nonEmptyString($0) } ?? upstreamModel
        // An invalid price is reported; the config is refused then, so nil is as good as any here.
        let price = fields["price"].flatMap { $0.isNull ? nil : QuotaConfigDecoder(reader: reader).price($0) }
        guard let backend, let target else { return nil }
        return TargetConfig(backend: backend, upstreamModel: target, price: price)
    }

    private func backendName(_ field: ConfigField) -> String? {
        guard let name = reader.string(field) else { return nil }
        guard backendNames.contains(name) else {
            reader.report(field.path, "unknown backend \(reader.shown(field, "\"\(name)\""))")
            return nil
        }
        return name
    }
}
