import Logging
import Testing

@testable import RelayCore

@Suite("SPEC §2 example and defaults")
struct SpecExampleTests {
    /// SPEC §2's example verbatim, except that the elided hash is written out in full.
    static let specExample = """
        server:
          host: 0.0.0.0              # env RELAY_HOST
          port: 8080                 # env RELAY_PORT
          admin_port: null           # if set, /metrics and the detailed /readyz body are served only there
          max_body_bytes: 10485760   # larger request bodies get 413
          header_timeout_s: 10       # a client must send its headers within this
          body_timeout_s: 30         # ... and its whole body within this (slow clients are cut off)
          drain_delay_s: 5
          shutdown_grace_s: 30
          metrics_path: /metrics     # null disables
          trusted_proxies: []        # CIDRs whose X-Forwarded-For is believed for client_ip

        log:
          level: info                # env RELAY_LOG_LEVEL: trace|debug|info|warning|error
          format: json               # env RELAY_LOG_FORMAT: json|text

        redis_url: redis://127.0.0.1:6379/0   # env RELAY_REDIS_URL; absent = limits kept in process
        rate_limit_failure_mode: open         # open|closed: what to do when Redis cannot be reached
        default_max_tokens: 1024              # reserved for tpm when a request sets no max tokens

        backends:
          ollama-local:
            type: ollama             # ollama | vllm | openai  (vllm and openai speak the OpenAI API;
                                     # use vllm for any self-hosted OpenAI-compatible server)
            base_url: http://127.0.0.1:11434
            max_concurrency: 8       # optional in-flight cap per Relay process (default: none, §9)
            connect_timeout_s: 2
            first_byte_timeout_s: 60 # streams: until the first SSE event
            request_timeout_s: 600   # non-streams: the whole answer (vLLM sends nothing until done)
            idle_timeout_s: 30       # longest silence inside a stream
            keep_alive: 5m           # ollama only: passed as keep_alive
            options: {num_ctx: 8192} # ollama only: merged into every request's options
            health_path: /api/tags   # default per type: ollama /api/tags, vllm /health, openai /v1/models;
                                     # null = no active health checks (llama-cpp-python has no /health)
            health_interval_s: 10
            circuit: {failures: 5, cooldown_s: 30}
            busy_when: {waiting: 4}  # vllm only: busy when its /metrics shows this many queued requests
            drop_params: []          # request fields this backend rejects (e.g. top_k for openai)
          vllm-a:
            type: vllm
            base_url: http://10.0.0.5:8000
            api_key: ${VLLM_API_KEY}  # ${VAR} is replaced from the environment in any string value
          openai-fallback:
            type: openai
            base_url: https://api.openai.com
            api_key: ${OPENAI_API_KEY}
            drop_params: [top_k, min_p, repetition_penalty]

        models:
          qwen2.5:                        # the name clients send in "model"
            backend: ollama-local         # one backend, or a list to balance over: [vllm-a, vllm-b]
            upstream_model: qwen2.5:7b    # the name sent upstream (default: the alias)
            queue_timeout_s: 0            # wait this long for a local slot before spilling over (default 30, §9)
            fallbacks:                    # tried in order when the targets above fail or are busy
              - backend: openai-fallback
                upstream_model: gpt-4o-mini
          gpt-4o-mini:
            backend: openai-fallback

        api_keys:
          - name: dev                       # appears in logs and metrics; the key itself never does
            hash: sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
            id: Ab12Cd34                    # optional: the key id `relay keys generate` put in the key
            scopes: [qwen2.5]               # model names this key may use; ["*"] = all
            limits: {rpm: 60, tpm: 30000, max_parallel: 4}   # an omitted one falls back to default_limits
            fallback: true                  # may this key's requests spill over to fallback targets
            fallback_tpm: 5000              # tokens a minute this key may spend on fallback targets

        default_limits: {rpm: 30, tpm: 10000}  # for keys that do not set their own; absent = unlimited
        """

    static let secrets = ["VLLM_API_KEY": "vllm-secret", "OPENAI_API_KEY": "sk-openai-secret"]

    @Test func specExampleParsesToTheDocumentedValues() throws {
        let config = try parseValid(Self.specExample, environment: Self.secrets)

        #expect(config.server == ServerConfig())
        #expect(config.log == LogConfig())
        #expect(config.redisURL == "redis://127.0.0.1:6379/0")
        #expect(config.rateLimitFailureMode == .open)
        #expect(config.defaultMaxTokens == 1024)

        var ollama = BackendConfig(name: "ollama-local", type: .ollama, baseURL: "http://127.0.0.1:11434")
        ollama.keepAlive = "5m"
        ollama.maxConcurrency = 8
        ollama.options = ["num_ctx": .int(8192)]
        // busy_when is vLLM only: accepted on an Ollama backend (SPEC's example has it) but unused.
        ollama.busyWhenWaiting = nil
        #expect(config.backends["ollama-local"] == ollama)

        var vllm = BackendConfig(name: "vllm-a", type: .vllm, baseURL: "http://10.0.0.5:8000")
        vllm.apiKey = "vllm-secret"
        #expect(config.backends["vllm-a"] == vllm)

        var openAI = BackendConfig(name: "openai-fallback", type: .openai, baseURL: "https://api.openai.com")
        openAI.apiKey = "sk-openai-secret"
        openAI.dropParams = ["top_k", "min_p", "repetition_penalty"]
        #expect(config.backends["openai-fallback"] == openAI)
        #expect(config.backends.count == 3)

        var qwen = ModelConfig(name: "qwen2.5", backends: ["ollama-local"], upstreamModel: "qwen2.5:7b")
        qwen.queueTimeout = 0
        qwen.fallbacks = [TargetConfig(backend: "openai-fallback", upstreamModel: "gpt-4o-mini")]
        #expect(config.models["qwen2.5"] == qwen)
        #expect(
            config.models["gpt-4o-mini"]
                == ModelConfig(name: "gpt-4o-mini", backends: ["openai-fallback"], upstreamModel: "gpt-4o-mini")
        )

        let digest: [UInt8] = [
            0x9f, 0x86, 0xd0, 0x81, 0x88, 0x4c, 0x7d, 0x65, 0x9a, 0x2f, 0xea, 0xa0, 0xc5, 0x5a, 0xd0, 0x15,
            0xa3, 0xbf, 0x4f, 0x1b, 0x2b, 0x0b, 0x82, 0x2c, 0xd1, 0x5d, 0x6c, 0x15, 0xb0, 0xf0, 0x0a, 0x08,
        ]
        var dev = APIKeyConfig(name: "dev", hash: .sha256(digest), scopes: ["qwen2.5"])
        dev.id = "Ab12Cd34"
        dev.limits = Limits(rpm: 60, tpm: 30000, maxParallel: 4)
        dev.fallback = true
        dev.fallbackTPM = 5000
        #expect(config.apiKeys == [dev])
        #expect(config.defaultLimits == Limits(rpm: 30, tpm: 10000))
    }

    @Test func busyWhenIsKeptForVLLM() throws {
        let config = try parseValid(
            """
            backends:
              gpu: {type: vllm, base_url: "http://10.0.0.5:8000", busy_when: {waiting: 4}}
            """
        )
        #expect(config.backends["gpu"]?.busyWhenWaiting == 4)
    }

    @Test(arguments: ["", "# only a comment\n", "server:\nlog:\nbackends:\nmodels:\napi_keys:\n"])
    func emptyFileAndEmptySectionsUseDefaults(yaml: String) throws {
        #expect(try parseValid(yaml) == RelayConfig())
    }

    @Test func defaultsFillEverythingNotWritten() throws {
        let config = try parseValid(
            """
            backends:
              a: {type: ollama, base_url: "http://h:11434"}
              b: {type: vllm, base_url: "http://h:8000"}
              c: {type: openai, base_url: "https://api.openai.com"}
            models:
              m: {backend: a}
            api_keys:
              - {name: k, hash: \(sha256OfTest), scopes: ["*"]}
            """
        )
        #expect(config.server.port == 8080)
        #expect(config.server.host == "0.0.0.0")
        #expect(config.server.adminPort == nil)
        #expect(config.server.metricsPath == "/metrics")
        #expect(config.log.level == .info)
        #expect(config.log.format == .json)
        #expect(config.redisURL == nil)
        #expect(config.defaultLimits == nil)
        // SPEC §8: a day; the in-process store holds at most 100,000 responses and 256 MiB.
        #expect(config.responsesTTL == 86400)
        #expect(config.responsesMaxStored == 100_000)
        #expect(config.responsesMaxBytes == 268_435_456)
        #expect(config.backends["a"]?.healthPath == "/api/tags")
        #expect(config.backends["b"]?.healthPath == "/health")
        #expect(config.backends["c"]?.healthPath == "/v1/models")
        // SPEC §9: no cap, and a wait for a slot rather than a 503.
        #expect(config.backends["a"]?.maxConcurrency == .max)
        #expect(config.backends["a"]?.circuit == CircuitConfig())
        #expect(config.models["m"]?.upstreamModel == "m")
        #expect(config.models["m"]?.queueTimeout == 30)
        #expect(config.models["m"]?.maxQueue == 1000)
        #expect(config.apiKeys.first?.fallback == true)
        #expect(config.apiKeys.first?.limits == nil)
        #expect(config.apiKeys.first?.id == nil)
    }

    @Test func nullSectionsAndLimitsReadAsAbsent() throws {
        let config = try parseValid(
            """
            redis_url: null
            default_limits: null
            backends: {a: {type: vllm, base_url: "http://h"}}
            models: {m: {backend: a}}
            api_keys:
              - {name: k, hash: \(sha256OfTest), scopes: [m], limits: null}
            """
        )
        #expect(config.redisURL == nil)
        #expect(config.defaultLimits == nil)
        #expect(config.apiKeys.first?.limits == nil)
    }

    @Test func everyValueCanBeSet() throws {
        let config = try parseValid(
            """
            server:
              host: 127.0.0.1
              port: 9000
              admin_port: 9001
              max_body_bytes: 1024
              header_timeout_s: 2.5
              body_timeout_s: 3
              drain_delay_s: 0
              shutdown_grace_s: 1
              metrics_path: null
              trusted_proxies: [10.0.0.0/8, "::1/128", 192.168.1.1, "fe80::1"]
            log: {level: notice, format: text}
            redis_url: redis://user:p%40ss@cache:6380/2
            rate_limit_failure_mode: closed
            default_max_tokens: 256
            responses_ttl_s: 3600
            responses_max_stored: 500
            responses_max_bytes: 1048576
            \(baseBackends)
            """
        )
        #expect(config.server.host == "127.0.0.1")
        #expect(config.server.port == 9000)
        #expect(config.server.adminPort == 9001)
        #expect(config.server.maxBodyBytes == 1024)
        #expect(config.server.headerTimeout == 2.5)
        #expect(config.server.bodyTimeout == 3)
        #expect(config.server.drainDelay == 0)
        #expect(config.server.shutdownGrace == 1)
        #expect(config.server.metricsPath == nil)
        #expect(config.server.trustedProxies == ["10.0.0.0/8", "::1/128", "192.168.1.1", "fe80::1"])
        #expect(config.log.level == .notice)
        #expect(config.log.format == .text)
        #expect(config.redisURL == "redis://user:p%40ss@cache:6380/2")
        #expect(config.rateLimitFailureMode == .closed)
        #expect(config.defaultMaxTokens == 256)
        #expect(config.responsesTTL == 3600)
        #expect(config.responsesMaxStored == 500)
        #expect(config.responsesMaxBytes == 1_048_576)
    }

    @Test func backendFieldsAreRead() throws {
        let config = try parseValid(
            """
            backends:
              local:
                type: ollama
                base_url: http://h:11434/
                keep_alive: 300
                options: {num_ctx: 4096, stop: ["</s>"], mirostat: {on: true, tau: 5.0}, seed: null, tag: x}
                health_path: null
                circuit: {failures: 2}
              gpu:
                type: vllm
                base_url: https://gpu.internal/v1/
                api_key: ""
                max_concurrency: 1
                connect_timeout_s: 0.5
                first_byte_timeout_s: 5
                request_timeout_s: 120
                idle_timeout_s: 1.5
                health_interval_s: 2
                circuit: {cooldown_s: 0.25}
                busy_when: {waiting: 1}
            """
        )
        let local = try #require(config.backends["local"])
        #expect(local.baseURL == "http://h:11434")
        #expect(local.keepAlive == "300s")
        #expect(
            local.options == [
                "num_ctx": .int(4096), "stop": .array([.string("</s>")]),
                "mirostat": .object([("on", .bool(true)), ("tau", .double(5))]), "seed": .null, "tag": .string("x"),
            ]
        )
        #expect(local.healthPath == nil)
        #expect(local.circuit.failures == 2)
        #expect(local.circuit.cooldown == 30)

        let gpu = try #require(config.backends["gpu"])
        #expect(gpu.baseURL == "https://gpu.internal")
        #expect(gpu.apiKey == nil)
        #expect(gpu.maxConcurrency == 1)
        #expect(gpu.connectTimeout == 0.5)
        #expect(gpu.firstByteTimeout == 5)
        #expect(gpu.requestTimeout == 120)
        #expect(gpu.idleTimeout == 1.5)
        #expect(gpu.healthInterval == 2)
        #expect(gpu.circuit.cooldown == 0.25)
        #expect(gpu.busyWhenWaiting == 1)
    }

    @Test func yamlMergeKeysShareBackendSettings() throws {
        let config = try parseValid(
            """
            backends:
              gpu-a: &gpu
                type: vllm
                base_url: http://10.0.0.5:8000
                max_concurrency: 4
              gpu-b:
                <<: *gpu
                base_url: http://10.0.0.6:8000
            """
        )
        #expect(config.backends["gpu-b"]?.baseURL == "http://10.0.0.6:8000")
        #expect(config.backends["gpu-b"]?.maxConcurrency == 4)
        #expect(config.backends["gpu-b"]?.type == .vllm)
    }
}
