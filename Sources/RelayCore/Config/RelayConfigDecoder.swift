import RelayYAML

/// Decodes the whole file, section by section, in the order that lets later sections check
/// their references: backends before models (`backend:`), models before keys (`scopes:`).
struct RelayConfigDecoder {
    let reader: ConfigReader

    static let knownKeys = [
        "server", "log", "redis_url", "redis_ca_file", "rate_limit_failure_mode", "default_max_tokens",
        "responses_ttl_s", "responses_max_stored", "responses_max_bytes", "state_path", "backends", "models",
        "api_keys", "default_limits",
    ]

    func decode(_ root: YAMLNode?) -> RelayConfig {
        // A file that is empty or only comments composes to no node at all: every default applies.
        let rootField = root.map { ConfigField(node: $0, path: "") }
        let fields = reader.fields(of: rootField, at: "", known: Self.knownKeys)

        var config = RelayConfig()
        config.server = ServerConfigDecoder(reader: reader).decode(fields["server"], at: fields.childPath("server"))
        config.log = LogConfigDecoder(reader: reader).decode(fields["log"], at: fields.childPath("log"))
        if let redisURL = reader.nullable(fields["redis_url"], { RedisURLValidator(reader: reader).validate($0) }) {
            config.redisURL = redisURL
        }
        if let bundle = reader.nullable(fields["redis_ca_file"], reader.caBundle) { config.redisCABundle = bundle }
        if let field = fields["redis_ca_file"], config.redisCABundle != nil,
            config.redisURL.map({ !$0.lowercased().hasPrefix("rediss://") }) ?? true
        {
            reader.report(field.path, "only used with a rediss:// redis_url")
        }
        if let mode = fields["rate_limit_failure_mode"].flatMap({
            reader.choice($0, named: "mode", as: RateLimitFailureMode.self)
        }) {
            config.rateLimitFailureMode = mode
        }
        // Reserved for every request that sets no budget, so it is added up like one:
        // `Usage.maxCount`, spelled out because the config fuzz target builds without Wire/.
        let maxTokenBudget = Int(UInt32.max)
        if let maxTokens = fields["default_max_tokens"].flatMap({
            reader.int($0, atLeast: 1, atMost: maxTokenBudget)
        }) {
            config.defaultMaxTokens = maxTokens
        }
        // Also Redis's expiry (`SET ... EX`), which refuses one that overflows its millisecond
        // clock: 2^31 - 1 seconds (68 years) is far from that.
        if let ttl = fields["responses_ttl_s"].flatMap({ reader.int($0, atLeast: 1, atMost: Int(Int32.max)) }) {
            config.responsesTTL = ttl
        }
        if let count = fields["responses_max_stored"].flatMap({ reader.int($0, atLeast: 1) }) {
            config.responsesMaxStored = count
        }
        // One long conversation with its output can take hundreds of kilobytes: a smaller bound
        // would keep almost nothing.
        if let path = fields["state_path"].flatMap({ reader.nonEmptyString($0) }) { config.statePath = path }
        if let bytes = fields["responses_max_bytes"].flatMap({ reader.int($0, atLeast: 1 << 20) }) {
            config.responsesMaxBytes = bytes
        }

        let backendEntries = reader.entries(of: fields["backends"])
        let backendNames = Set(backendEntries.map(\.key))
        config.backends = BackendConfigDecoder(reader: reader).decode(backendEntries)

        let modelEntries = reader.entries(of: fields["models"])
        let modelDecoder = ModelConfigDecoder(reader: reader, backendNames: backendNames)
        config.models = modelDecoder.decode(modelEntries)

        let keyDecoder = APIKeyConfigDecoder(reader: reader, modelNames: Set(modelEntries.map(\.key)))
        config.apiKeys = fields["api_keys"].map { keyDecoder.decode($0) } ?? []
        if let defaultLimits = reader.nullable(fields["default_limits"], { LimitsDecoder(reader: reader).decode($0) }) {
            config.defaultLimits = defaultLimits
        }
        return config
    }
}
