import Logging

/// One immutable snapshot of the whole configuration, as loaded and validated by `ConfigLoader`.
///
/// The gateway holds the current snapshot behind one atomic reference and swaps it whole on
/// reload, so a request always sees one consistent configuration from start to end.
public struct RelayConfig: Sendable, Equatable {
    public var server: ServerConfig
    public var log: LogConfig
    /// `nil`: rate limits are kept in process.
    public var redisURL: String?
    /// Roots trusted for a `rediss://` server; `nil`: the system's trust store.
    public var redisCABundle: CABundle? = nil
    public var rateLimitFailureMode: RateLimitFailureMode
    /// Tokens reserved for the completion when a request sets no max tokens.
    public var defaultMaxTokens: Int
    public var backends: [String: BackendConfig]
    public var models: [String: ModelConfig]
    public var apiKeys: [APIKeyConfig]
    /// Limits for keys that do not set their own; `nil` = unlimited.
    public var defaultLimits: Limits?

    public init(
        server: ServerConfig = ServerConfig(),
        log: LogConfig = LogConfig(),
        redisURL: String? = nil,
        rateLimitFailureMode: RateLimitFailureMode = .open,
        defaultMaxTokens: Int = 1024,
        backends: [String: BackendConfig] = [:],
        models: [String: ModelConfig] = [:],
        apiKeys: [APIKeyConfig] = [],
        defaultLimits: Limits? = nil
    ) {
        self.server = server
        self.log = log
        self.redisURL = redisURL
        self.rateLimitFailureMode = rateLimitFailureMode
        self.defaultMaxTokens = defaultMaxTokens
        self.backends = backends
        self.models = models
        self.apiKeys = apiKeys
        self.defaultLimits = defaultLimits
    }
}

public enum RateLimitFailureMode: String, Sendable, Equatable, CaseIterable {
    case open
    case closed
}

public struct ServerConfig: Sendable, Equatable {
    public var host: String = "0.0.0.0"
    public var port: Int = 8080
    /// When set, `/metrics` and the detailed `/readyz` body are served only on this port.
    public var adminPort: Int? = nil
    public var maxBodyBytes: Int = 10_485_760
    public var headerTimeout: Double = 10
    public var bodyTimeout: Double = 30
    /// How long a response's writes may wait for a client that does not read (a stream's
    /// client that stopped reading is cut off after it).
    public var writeTimeout: Double = 30
    public var drainDelay: Double = 5
    public var shutdownGrace: Double = 30
    /// `nil` disables the metrics endpoint.
    public var metricsPath: String? = "/metrics"
    /// CIDRs (`10.0.0.0/8`, `::1/128`) whose `X-Forwarded-For` is believed.
    public var trustedProxies: [String] = []
    /// `nil`: plain HTTP.
    public var tls: ServerTLSConfig? = nil

    public init() {}
}

/// HTTPS on Relay's own listener. The files are read again on every reload (SIGHUP), so a
/// renewed certificate at the same path is picked up without a restart.
public struct ServerTLSConfig: Sendable, Equatable {
    /// PEM: the server certificate first, then any intermediates.
    public var certPath: String
    /// PEM: the certificate's private key.
    public var keyPath: String

    public init(certPath: String, keyPath: String) {
        self.certPath = certPath
        self.keyPath = keyPath
    }
}

public enum LogFormat: String, Sendable, Equatable, CaseIterable {
    case json
    case text
}

public struct LogConfig: Sendable, Equatable {
    public var level: Logger.Level = .info
    public var format: LogFormat = .json

    public init() {}
}

public enum BackendType: String, Sendable, Equatable, CaseIterable {
    /// Spoken to in Ollama's native API (`/api/chat`, `/api/generate`, `/api/embed`).
    case ollama
    /// Any self-hosted server speaking the OpenAI API (vLLM, llama.cpp's server, ...).
    case vllm
    /// OpenAI itself, or any cloud provider speaking its API.
    case openai

    /// The health path used when the config does not name one.
    public var defaultHealthPath: String {
        switch self {
        case .ollama: "/api/tags"
        case .vllm: "/health"
        case .openai: "/v1/models"
        }
    }
}

public struct CircuitConfig: Sendable, Equatable {
    public var failures: Int = 5
    public var cooldown: Double = 30

    public init() {}
}

public struct BackendConfig: Sendable, Equatable {
    public var name: String
    public var type: BackendType
    /// The server's root, without a trailing `/v1` (the loader strips one) or `/`.
    public var baseURL: String
    public var apiKey: String? = nil
    /// Requests in flight from this process past which the backend is busy; `Int.max` (the
    /// default) is no cap, so it is busy only when `busy_when` says so.
    public var maxConcurrency: Int = .max
    public var connectTimeout: Double = 2
    public var firstByteTimeout: Double = 60
    public var requestTimeout: Double = 600
    public var idleTimeout: Double = 30
    /// Ollama only: passed as `keep_alive`.
    public var keepAlive: String? = nil
    /// Ollama only: merged into every request's `options`.
    public var options: [String: JSONValue] = [:]
    /// `nil` = no active health checks.
    public var healthPath: String?
    public var healthInterval: Double = 10
    public var circuit = CircuitConfig()
    /// vLLM only: busy when its `/metrics` shows this many queued requests.
    public var busyWhenWaiting: Int? = nil
    /// Top-level request fields removed before the request goes to this backend.
    public var dropParams: [String] = []
    /// Client request headers sent to this backend besides the ones Relay always forwards:
    /// lowercase names, or prefixes ending in `*`. Never credentials, cookies or hop-by-hop ones.
    public var forwardHeaders: [String] = []
    /// Roots trusted for an `https` base URL instead of the system's; read when the config is loaded.
    public var caBundle: CABundle? = nil

    public init(name: String, type: BackendType, baseURL: String) {
        self.name = name
        self.type = type
        self.baseURL = baseURL
        self.healthPath = type.defaultHealthPath
    }
}

/// A backend to call, with the model name it is sent.
public struct TargetConfig: Sendable, Equatable {
    public var backend: String
    public var upstreamModel: String

    public init(backend: String, upstreamModel: String) {
        self.backend = backend
        self.upstreamModel = upstreamModel
    }
}

public struct ModelConfig: Sendable, Equatable {
    /// The name clients send in `model`.
    public var name: String
    /// Balanced over by fewest requests in flight.
    public var backends: [String]
    public var upstreamModel: String
    /// Seconds a request waits for a slot when every own backend is busy; 0 spills over at once.
    public var queueTimeout: Double = 30
    /// Requests that may wait for a slot at once; past it, the next gets 503 at once.
    public var maxQueue: Int = 1000
    /// How requests are spread over `backends`.
    public var balance: Balance = .leastInFlight
    /// Bounds all attempts of one request together; `nil`: every target may use its own
    /// timeout in turn.
    public var deadline: Double?
    /// Tried in order when the backends fail or are busy (only for keys with `fallback: true`).
    public var fallbacks: [TargetConfig] = []

    public init(name: String, backends: [String], upstreamModel: String) {
        self.name = name
        self.backends = backends
        self.upstreamModel = upstreamModel
    }
}

/// How a model's requests are spread over its backends.
public enum Balance: String, Sendable, Equatable, CaseIterable {
    /// Fewest requests in flight first.
    case leastInFlight = "least_in_flight"
    /// One conversation on one backend, for its prompt cache (`AffinityRing`).
    case affinity
}

public struct Limits: Sendable, Equatable {
    public var rpm: Int? = nil
    public var tpm: Int? = nil
    public var maxParallel: Int? = nil

    public init(rpm: Int? = nil, tpm: Int? = nil, maxParallel: Int? = nil) {
        self.rpm = rpm
        self.tpm = tpm
        self.maxParallel = maxParallel
    }
}

/// How a key is stored in the config: never the key itself.
public enum KeyHash: Sendable, Equatable {
    /// `sha256:<64 hex digits>`, decoded to its 32 bytes.
    case sha256([UInt8])
    /// A PHC string `$argon2id$v=19$m=...,t=...,p=...$salt$hash`, kept as written.
    case argon2id(String)
}

public struct APIKeyConfig: Sendable, Equatable {
    /// Appears in logs and metrics; the key itself never does.
    public var name: String
    public var hash: KeyHash
    /// The key id `relay keys generate` put inside the key, if known.
    public var id: String? = nil
    /// Model names this key may use; `["*"]` = all.
    public var scopes: [String]
    /// Limits this key sets itself; an omitted one falls back to `default_limits`.
    public var limits: Limits? = nil
    public var fallback: Bool = true
    public var fallbackTPM: Int? = nil
    /// Waiting for a busy model, higher goes first (`ModelQueue`).
    public var priority: Int = 0

    public init(name: String, hash: KeyHash, scopes: [String]) {
        self.name = name
        self.hash = hash
        self.scopes = scopes
    }
}
