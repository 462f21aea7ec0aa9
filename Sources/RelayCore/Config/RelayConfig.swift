import Logging
import RelayWire

/// One immutable snapshot of the whole configuration, as loaded and validated by `ConfigLoader`.
///
/// The gateway holds the current snapshot behind one atomic reference and swaps it whole on
/// reload, so a request always sees one consistent configuration from start to end.
package struct RelayConfig: Sendable, Equatable {
    var server: ServerConfig
    var log: LogConfig
    /// `nil`: rate limits are kept in process.
    var redisURL: String?
    /// Roots trusted for a `rediss://` server; `nil`: the system's trust store.
    var redisCABundle: CABundle? = nil
    var rateLimitFailureMode: RateLimitFailureMode
    /// Tokens reserved for the completion when a request sets no max tokens.
    var defaultMaxTokens: Int
    /// Seconds a stored Responses response is kept (`previous_response_id`, `GET /v1/responses/{id}`).
    var responsesTTL: Int
    /// The most responses kept at once by the in-process store (without `redis_url`).
    var responsesMaxStored: Int
    /// The most bytes of responses kept at once by the in-process store (without `redis_url`).
    var responsesMaxBytes: Int
    /// The embedded store of quota and budget counters without `redis_url`.
    var statePath: String = "./relay-state.db"
    package var backends: [String: BackendConfig]
    package var models: [String: ModelConfig]
    package var apiKeys: [APIKeyConfig]
    /// Limits for keys that do not set their own; `nil` = unlimited.
    var defaultLimits: Limits?

    package init(
        server: ServerConfig = ServerConfig(),
        log: LogConfig = LogConfig(),
        redisURL: String? = nil,
        rateLimitFailureMode: RateLimitFailureMode = .open,
        defaultMaxTokens: Int = 1024,
        responsesTTL: Int = 86_400,
        responsesMaxStored: Int = 100_000,
        responsesMaxBytes: Int = 268_435_456,
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
        self.responsesTTL = responsesTTL
        self.responsesMaxStored = responsesMaxStored
        self.responsesMaxBytes = responsesMaxBytes
        self.backends = backends
        self.models = models
        self.apiKeys = apiKeys
        self.defaultLimits = defaultLimits
    }
}

package enum RateLimitFailureMode: String, Sendable, Equatable, CaseIterable {
    case open
    case closed
}

package struct ServerConfig: Sendable, Equatable {
    var host: String = "0.0.0.0"
    var port: Int = 8080
    /// When set, `/metrics` and the detailed `/readyz` body are served only on this port.
    var adminPort: Int? = nil
    var maxBodyBytes: Int = 10_485_760
    var headerTimeout: Double = 10
    var bodyTimeout: Double = 30
    /// How long a response's writes may wait for a client that does not read (a stream's
    /// client that stopped reading is cut off after it).
    var writeTimeout: Double = 30
    var drainDelay: Double = 5
    var shutdownGrace: Double = 30
    /// `nil` disables the metrics endpoint.
    var metricsPath: String? = "/metrics"
    /// CIDRs (`10.0.0.0/8`, `::1/128`) whose `X-Forwarded-For` is believed.
    var trustedProxies: [String] = []
    /// `nil`: plain HTTP.
    var tls: ServerTLSConfig? = nil

    init() {}
}

/// HTTPS on Relay's own listener. The files are read again on every reload (SIGHUP), so a
/// renewed certificate at the same path is picked up without a restart.
struct ServerTLSConfig: Sendable, Equatable {
    /// PEM: the server certificate first, then any intermediates.
    var certPath: String
    /// PEM: the certificate's private key.
    var keyPath: String

}

enum LogFormat: String, Sendable, Equatable, CaseIterable {
    case json
    case text
}

package struct LogConfig: Sendable, Equatable {
    var level: Logger.Level = .info
    var format: LogFormat = .json

    init() {}
}

enum BackendType: String, Sendable, Equatable, CaseIterable {
    /// Spoken to in Ollama's native API (`/api/chat`, `/api/generate`, `/api/embed`).
    case ollama
    /// Any self-hosted server speaking the OpenAI API (vLLM, llama.cpp's server, ...).
    case vllm
    /// OpenAI itself, or any cloud provider speaking its API.
    case openai

    /// The health path used when the config does not name one.
    /// The APIs a backend of this type serves natively when the config does not say
    /// (`apis:`); Ollama is always spoken to in its own API.
    var defaultAPIs: Set<ClientAPI> {
        switch self {
        case .ollama: []
        case .vllm: [.chat]
        case .openai: [.chat, .responses]
        }
    }

    var defaultHealthPath: String {
        switch self {
        case .ollama: "/api/tags"
        case .vllm: "/health"
        case .openai: "/v1/models"
        }
    }
}

struct CircuitConfig: Sendable, Equatable {
    var failures: Int = 5
    var cooldown: Double = 30

    init() {}
}

package struct BackendConfig: Sendable, Equatable {
    package var name: String
    var type: BackendType
    /// The server's root, without a trailing `/v1` (the loader strips one) or `/`.
    var baseURL: String
    var apiKey: String? = nil
    /// Requests in flight from this process past which the backend is busy; `Int.max` (the
    /// default) is no cap, so it is busy only when `busy_when` says so.
    package var maxConcurrency: Int = .max
    var connectTimeout: Double = 2
    var firstByteTimeout: Double = 60
    var requestTimeout: Double = 600
    var idleTimeout: Double = 30
    /// Ollama only: passed as `keep_alive`.
    var keepAlive: String? = nil
    /// Ollama only: merged into every request's `options`.
    var options: [String: JSONValue] = [:]
    /// `nil` = no active health checks.
    var healthPath: String?
    var healthInterval: Double = 10
    var circuit = CircuitConfig()
    /// vLLM only: busy when its `/metrics` shows this many queued requests.
    package var busyWhenWaiting: Int? = nil
    /// Top-level request fields removed before the request goes to this backend.
    var dropParams: [String] = []
    /// Client request headers sent to this backend besides the ones Relay always forwards:
    /// lowercase names, or prefixes ending in `*`. Never credentials, cookies or hop-by-hop ones.
    var forwardHeaders: [String] = []
    /// The client APIs this backend serves itself, so requests in them are passed through; a
    /// request in another API is translated to chat (or Ollama's API) and its answer back.
    var apis: Set<ClientAPI>
    /// What its tokens cost, over its models' price (SPEC §10).
    var price: Price? = nil
    /// Roots trusted for an `https` base URL instead of the system's; read when the config is loaded.
    var caBundle: CABundle? = nil

    init(name: String, type: BackendType, baseURL: String) {
        self.name = name
        self.type = type
        self.baseURL = baseURL
        self.healthPath = type.defaultHealthPath
        self.apis = type.defaultAPIs
    }
}

/// A backend to call, with the model name it is sent.
struct TargetConfig: Sendable, Equatable {
    var backend: String
    var upstreamModel: String
    /// This fallback's price, over its backend's and model's.
    var price: Price? = nil

}

package struct ModelConfig: Sendable, Equatable {
    /// The name clients send in `model`.
    package var name: String
    /// Balanced over by fewest requests in flight.
    package var backends: [String]
    var upstreamModel: String
    /// Seconds a request waits for a slot when every own backend is busy; 0 spills over at once.
    package var queueTimeout: Double = 30
    /// Requests that may wait for a slot at once; past it, the next gets 503 at once.
    package var maxQueue: Int = 1000
    /// How requests are spread over `backends`.
    var balance: Balance = .leastInFlight
    /// Bounds all attempts of one request together; `nil`: every target may use its own
    /// timeout in turn.
    var deadline: Double?
    /// Tried in order when the backends fail or are busy (only for keys with `fallback: true`).
    var fallbacks: [TargetConfig] = []
    /// What its tokens cost where neither the backend nor the fallback entry says.
    var price: Price? = nil

    init(name: String, backends: [String], upstreamModel: String) {
        self.name = name
        self.backends = backends
        self.upstreamModel = upstreamModel
    }
}

/// How a model's requests are spread over its backends.
enum Balance: String, Sendable, Equatable, CaseIterable {
    /// Fewest requests in flight first.
    case leastInFlight = "least_in_flight"
    /// One conversation on one backend, for its prompt cache (`AffinityRing`).
    case affinity
}

package struct Limits: Sendable, Equatable {
    var rpm: Int? = nil
    var tpm: Int? = nil
    var maxParallel: Int? = nil

    package init(rpm: Int? = nil, tpm: Int? = nil, maxParallel: Int? = nil) {
        self.rpm = rpm
        self.tpm = tpm
        self.maxParallel = maxParallel
    }
}

/// How a key is stored in the config: never the key itself.
package enum KeyHash: Sendable, Equatable {
    /// `sha256:<64 hex digits>`, decoded to its 32 bytes.
    case sha256([UInt8])
    /// A PHC string `$argon2id$v=19$m=...,t=...,p=...$salt$hash`, kept as written.
    case argon2id(String)
}

package struct APIKeyConfig: Sendable, Equatable {
    /// Appears in logs and metrics; the key itself never does.
    package var name: String
    var hash: KeyHash
    /// The key id `relay keys generate` put inside the key, if known.
    package var id: String? = nil
    /// Model names this key may use; `["*"]` = all.
    var scopes: [String]
    /// Limits this key sets itself; an omitted one falls back to `default_limits`.
    package var limits: Limits? = nil
    var fallback: Bool = true
    var fallbackTPM: Int? = nil
    /// Waiting for a busy model, higher goes first (`ModelQueue`).
    var priority: Int = 0
    /// Limits over calendar days and months (SPEC §10).
    var quotas: Quotas? = nil
    /// A monthly money budget (SPEC §10).
    var budget: Budget? = nil

    package init(name: String, hash: KeyHash, scopes: [String]) {
        self.name = name
        self.hash = hash
        self.scopes = scopes
    }
}
