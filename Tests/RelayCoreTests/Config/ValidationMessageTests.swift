import Testing

@testable import RelayCore

/// Each case: a YAML text and exactly the problem lines `relay check-config` must print for it.
struct ProblemCase: CustomTestStringConvertible, Sendable {
    let yaml: String
    let expected: [String]
    var environment: [String: String] = [:]

    var testDescription: String { expected.joined(separator: " | ") }
}

@Suite("Validation messages")
struct ValidationMessageTests {
    static let serverCases: [ProblemCase] = [
        ProblemCase(yaml: "server: {port: abc}", expected: [#"server.port: expected an integer, got "abc""#]),
        ProblemCase(yaml: "server: {port: 1.5}", expected: ["server.port: expected an integer, got 1.5"]),
        ProblemCase(yaml: "server: {port: 0}", expected: ["server.port: must be between 1 and 65535, got 0"]),
        ProblemCase(yaml: "server: {port: 65536}", expected: ["server.port: must be between 1 and 65535, got 65536"]),
        ProblemCase(yaml: #"server: {port: "8080"}"#, expected: [#"server.port: expected an integer, got "8080""#]),
        ProblemCase(
            yaml: "server: {admin_port: 8080}", expected: ["server.admin_port: must differ from server.port (8080)"]),
        ProblemCase(
            yaml: "server: {admin_port: 70000}", expected: ["server.admin_port: must be between 1 and 65535, got 70000"]
        ),
        ProblemCase(
            yaml: "server: {max_body_bytes: 0}", expected: ["server.max_body_bytes: must be at least 1, got 0"]),
        ProblemCase(
            yaml: "server: {header_timeout_s: 0}", expected: ["server.header_timeout_s: must be greater than 0, got 0"]),
        ProblemCase(
            yaml: "server: {body_timeout_s: -1}", expected: ["server.body_timeout_s: must be greater than 0, got -1"]),
        ProblemCase(
            yaml: "server: {shutdown_grace_s: soon}",
            expected: [#"server.shutdown_grace_s: expected a number of seconds, got "soon""#]),
        ProblemCase(
            yaml: "server: {drain_delay_s: -0.5}", expected: ["server.drain_delay_s: must be 0 or more, got -0.5"]),
        ProblemCase(
            yaml: "server: {header_timeout_s: .inf}",
            expected: ["server.header_timeout_s: expected a number of seconds, got .inf"]),
        ProblemCase(
            yaml: "server: {metrics_path: metrics}",
            expected: [#"server.metrics_path: must start with "/" (or be null to disable metrics)"#]),
        ProblemCase(
            yaml: "server: {metrics_path: /healthz}",
            expected: [#"server.metrics_path: "/healthz" is already served by Relay"#]),
        ProblemCase(yaml: "server: {host: \"\"}", expected: ["server.host: must not be empty"]),
        ProblemCase(yaml: "server: {host: [a]}", expected: ["server.host: expected a string, got a list"]),
        ProblemCase(
            yaml: "server: {trusted_proxies: [10.0.0.0/33, 1.2.3, \"::1/129\", \"10.0.0.0/8\", 10.0.0.0/+8]}",
            expected: [
                #"server.trusted_proxies[0]: expected an IPv4 or IPv6 address or CIDR, got "10.0.0.0/33""#,
                #"server.trusted_proxies[1]: expected an IPv4 or IPv6 address or CIDR, got "1.2.3""#,
                #"server.trusted_proxies[2]: expected an IPv4 or IPv6 address or CIDR, got "::1/129""#,
                #"server.trusted_proxies[4]: expected an IPv4 or IPv6 address or CIDR, got "10.0.0.0/+8""#,
            ]
        ),
        ProblemCase(
            yaml: "server: {trusted_proxies: 10.0.0.0/8}",
            expected: [#"server.trusted_proxies: expected a list, got "10.0.0.0/8""#]),
        ProblemCase(yaml: "server: 8080", expected: ["server: expected a mapping, got 8080"]),
        ProblemCase(yaml: "- a\n- b", expected: ["expected a mapping, got a list"]),
    ]

    static let topLevelCases: [ProblemCase] = [
        ProblemCase(
            yaml: "log: {level: verbose}",
            expected: [
                #"log.level: unknown level "verbose" (expected trace, debug, info, notice, warning, error or critical)"#
            ]
        ),
        ProblemCase(
            yaml: "log: {format: xml}", expected: [#"log.format: unknown format "xml" (expected json or text)"#]),
        ProblemCase(
            yaml: "rate_limit_failure_mode: maybe",
            expected: [#"rate_limit_failure_mode: unknown mode "maybe" (expected open or closed)"#]),
        ProblemCase(
            yaml: "default_max_tokens: 0", expected: ["default_max_tokens: must be between 1 and 4294967295, got 0"]),
        // Reserved for every request without max_tokens, so it is added into the limiter's sums.
        ProblemCase(
            yaml: "default_max_tokens: 9223372036854775807",
            expected: ["default_max_tokens: must be between 1 and 4294967295, got 9223372036854775807"]
        ),
        ProblemCase(
            yaml: "responses_ttl_s: 0", expected: ["responses_ttl_s: must be between 1 and 2147483647, got 0"]),
        ProblemCase(
            yaml: "responses_ttl_s: 1.5", expected: ["responses_ttl_s: expected an integer, got 1.5"]),
        // Past what Redis's SET ... EX accepts.
        ProblemCase(
            yaml: "responses_ttl_s: 9223372036854775807",
            expected: ["responses_ttl_s: must be between 1 and 2147483647, got 9223372036854775807"]
        ),
        ProblemCase(
            yaml: "responses_max_stored: 0", expected: ["responses_max_stored: must be at least 1, got 0"]),
        ProblemCase(
            yaml: "responses_max_bytes: 1048575",
            expected: ["responses_max_bytes: must be at least 1048576, got 1048575"]),
        ProblemCase(
            yaml: "responses_max_bytes: 256MiB", expected: [#"responses_max_bytes: expected an integer, got "256MiB""#]),
        ProblemCase(
            yaml: "responses_ttl: 60", expected: [#"responses_ttl: unknown key (did you mean "responses_ttl_s"?)"#]),
        ProblemCase(
            yaml: "redis_url: rediss://:secret@cache:0",
            expected: ["redis_url: port must be between 1 and 65535"]
        ),
        ProblemCase(
            yaml: "redis_url: http://cache", expected: ["redis_url: expected redis://[user:pass@]host[:port][/db]"]),
        ProblemCase(yaml: "redis_url: redis://cache:99999", expected: ["redis_url: port must be between 1 and 65535"]),
        ProblemCase(
            yaml: "redis_url: redis://cache/x",
            expected: ["redis_url: database must be a number (redis://[user:pass@]host[:port][/db])"]),
        ProblemCase(
            yaml: "redis_url: redis://",
            expected: ["redis_url: missing or invalid host (redis://[user:pass@]host[:port][/db])"]),
        ProblemCase(
            yaml: "default_limits: {rpm: 0, tpm: x, burst: 3}",
            expected: [
                "default_limits.burst: unknown key",
                "default_limits.rpm: must be at least 1, got 0",
                #"default_limits.tpm: expected an integer, got "x""#,
            ]),
    ]

    static let backendCases: [ProblemCase] = [
        ProblemCase(
            yaml: "backends:\n  x: {type: olama, base_url: \"http://h\"}",
            expected: [#"backends.x.type: unknown type "olama" (expected ollama, vllm or openai)"#]
        ),
        ProblemCase(
            yaml: "backends:\n  x: {base_url: \"http://h\"}", expected: ["backends.x.type: missing required key"]),
        ProblemCase(yaml: "backends:\n  x: {type: vllm}", expected: ["backends.x.base_url: missing required key"]),
        ProblemCase(
            yaml: "backends:\n  x: {type: vllm, base_url: \"ftp://h\"}",
            expected: ["backends.x.base_url: expected an http:// or https:// URL"]),
        ProblemCase(
            yaml: "backends:\n  x: {type: vllm, base_url: \"10.0.0.5:8000\"}",
            expected: ["backends.x.base_url: expected an http:// or https:// URL"]),
        ProblemCase(
            yaml: "backends:\n  x: {type: vllm, base_url: \"http:///v1\"}",
            expected: ["backends.x.base_url: URL has no host"]),
        ProblemCase(
            yaml: "backends:\n  x: {type: vllm, base_url: \"http://h/?a=1\"}",
            expected: ["backends.x.base_url: URL must not have a query or fragment"]),
        ProblemCase(
            yaml: "backends:\n  x: {type: vllm, base_url: \"http://h\", max_concurrency: 0}",
            expected: ["backends.x.max_concurrency: must be at least 1, got 0"]
        ),
        ProblemCase(
            yaml: """
                backends:
                  x:
                    type: vllm
                    base_url: http://h
                    connect_timeout_s: 0
                    first_byte_timeout_s: -1
                    request_timeout_s: never
                    idle_timeout_s: 0.0
                    health_interval_s: 0
                """,
            expected: [
                "backends.x.connect_timeout_s: must be greater than 0, got 0",
                "backends.x.first_byte_timeout_s: must be greater than 0, got -1",
                #"backends.x.request_timeout_s: expected a number of seconds, got "never""#,
                "backends.x.idle_timeout_s: must be greater than 0, got 0.0",
                "backends.x.health_interval_s: must be greater than 0, got 0",
            ]
        ),
        ProblemCase(
            yaml: "backends:\n  x: {type: vllm, base_url: \"http://h\", keep_alive: 5m, options: {a: 1}}",
            expected: [
                "backends.x.keep_alive: only allowed for type ollama",
                "backends.x.options: only allowed for type ollama",
            ]
        ),
        ProblemCase(
            yaml: "backends:\n  x: {type: ollama, base_url: \"http://h\", keep_alive: 5 min}",
            expected: [#"backends.x.keep_alive: expected a duration such as "5m", "1h30m" or "-1s", got "5 min""#]
        ),
        ProblemCase(
            yaml: "backends:\n  x: {type: ollama, base_url: \"http://h\", options: [1]}",
            expected: ["backends.x.options: expected a mapping, got a list"]
        ),
        ProblemCase(
            yaml: "backends:\n  x: {type: vllm, base_url: \"http://h\", health_path: health}",
            expected: [#"backends.x.health_path: must start with "/" (or be null for no active health checks)"#]
        ),
        ProblemCase(
            yaml:
                "backends:\n  x: {type: vllm, base_url: \"http://h\", circuit: {failures: 0, cooldown_s: 0, open: 1}}",
            expected: [
                "backends.x.circuit.open: unknown key",
                "backends.x.circuit.failures: must be at least 1, got 0",
                "backends.x.circuit.cooldown_s: must be greater than 0, got 0",
            ]
        ),
        ProblemCase(
            yaml: "backends:\n  x: {type: vllm, base_url: \"http://h\", busy_when: {waiting: 0}}",
            expected: ["backends.x.busy_when.waiting: must be at least 1, got 0"]
        ),
        ProblemCase(
            yaml: "backends:\n  x: {type: vllm, base_url: \"http://h\", busy_when: {}}",
            expected: ["backends.x.busy_when.waiting: missing required key"]
        ),
        ProblemCase(
            yaml: "backends:\n  x: {type: vllm, base_url: \"http://h\", drop_params: [top_k, [a]]}",
            expected: ["backends.x.drop_params[1]: expected a string, got a list"]
        ),
        ProblemCase(yaml: "backends:\n  x: 3", expected: ["backends.x: expected a mapping, got 3"]),
        ProblemCase(
            yaml: "backends:\n  x:",
            expected: ["backends.x.type: missing required key", "backends.x.base_url: missing required key"]),
        ProblemCase(yaml: "api_keys: [k]", expected: [#"api_keys[0]: expected a mapping, got "k""#]),
    ]

    static let modelCases: [ProblemCase] = [
        ProblemCase(
            yaml: baseBackends + "models:\n  qwen2.5: {backend: olama}",
            expected: [#"models.qwen2.5.backend: unknown backend "olama""#]
        ),
        ProblemCase(
            yaml: baseBackends + "models:\n  x: {backend: [gpu, olama, gpu]}",
            expected: [
                #"models.x.backend[1]: unknown backend "olama""#,
                #"models.x.backend[2]: backend "gpu" is listed twice"#,
            ]
        ),
        ProblemCase(
            yaml: baseBackends + "models:\n  x: {backend: []}",
            expected: ["models.x.backend: must name at least one backend"]),
        ProblemCase(
            yaml: baseBackends + "models:\n  x: {upstream_model: y}",
            expected: ["models.x.backend: missing required key"]),
        ProblemCase(
            yaml: baseBackends + "models:\n  x: {backend: gpu, queue_timeout_s: -1}",
            expected: ["models.x.queue_timeout_s: must be 0 or more, got -1"]),
        ProblemCase(
            yaml: baseBackends + "models:\n  x: {backend: gpu, upstream_model: \"\"}",
            expected: ["models.x.upstream_model: must not be empty"]),
        ProblemCase(
            yaml: baseBackends + """
                models:
                  qwen2.5:
                    backend: local
                    fallbacks: [olama, {backend: clod}, {upstream_model: y}, {backend: cloud, model: z}]
                """,
            expected: [
                #"models.qwen2.5.fallbacks[0]: unknown backend "olama""#,
                #"models.qwen2.5.fallbacks[1].backend: unknown backend "clod""#,
                "models.qwen2.5.fallbacks[2].backend: missing required key",
                "models.qwen2.5.fallbacks[3].model: unknown key",
            ]
        ),
        ProblemCase(
            yaml: baseBackends + "models:\n  x: {backend: gpu, fallbacks: cloud}",
            expected: [#"models.x.fallbacks: expected a list, got "cloud""#]),
        ProblemCase(
            yaml: baseBackends + "models:\n  \"*\": {backend: gpu}",
            expected: [#"models.*: "*" cannot be a model name"#]),
    ]

    static let apiKeyCases: [ProblemCase] = [
        ProblemCase(
            yaml: baseBackends + "models:\n  m: {backend: gpu}\napi_keys:\n  - {}",
            expected: [
                "api_keys[0].name: missing required key", "api_keys[0].hash: missing required key",
                "api_keys[0].scopes: missing required key",
            ]
        ),
        ProblemCase(
            yaml: baseBackends + """
                models:
                  m: {backend: gpu}
                api_keys:
                  - {name: a, hash: \(sha256OfTest), scopes: [m, mm, "*"], id: short}
                  - {name: a, hash: \(sha256OfTest), scopes: [], id: "Ab12Cd34-x"}
                  - {name: c, hash: "sha256:9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A09", scopes: "*"}
                  - {name: d, hash: "sha256:9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A09", scopes: ["*"]}
                """,
            expected: [
                #"api_keys[0].scopes[1]: unknown model "mm""#,
                #"api_keys[0].id: expected 8 to 32 letters and digits (base62), got "short""#,
                #"api_keys[1].scopes: must name at least one model, or "*" for all"#,
                #"api_keys[1].id: expected 8 to 32 letters and digits (base62), got "Ab12Cd34-x""#,
                #"api_keys[1].name: duplicate: "a" is also used by api_keys[0].name"#,
                "api_keys[1].hash: duplicate: same as api_keys[0].hash",
                #"api_keys[2].scopes: expected a list, got "*""#,
                "api_keys[3].hash: duplicate: same as api_keys[2].hash",
            ]
        ),
        ProblemCase(
            yaml: baseBackends + """
                models:
                  m: {backend: gpu}
                api_keys:
                  - {name: a, hash: \(sha256OfTest), scopes: [m], id: Ab12Cd34}
                  - {name: b, hash: "sha256:0000000000000000000000000000000000000000000000000000000000000000", scopes: [m], id: Ab12Cd34}
                """,
            expected: [#"api_keys[1].id: duplicate: "Ab12Cd34" is also used by api_keys[0].id"#]
        ),
        ProblemCase(
            yaml: baseBackends + """
                models:
                  m: {backend: gpu}
                api_keys:
                  - name: a
                    hash: \(sha256OfTest)
                    scopes: [m]
                    limits: {rpm: 0, tpm: 1.5, max_parallel: -2, rps: 1}
                    fallback: yes please
                    fallback_tpm: 0
                """,
            expected: [
                #"api_keys[0].limits.rps: unknown key (did you mean "rpm"?)"#,
                "api_keys[0].limits.rpm: must be at least 1, got 0",
                "api_keys[0].limits.tpm: expected an integer, got 1.5",
                "api_keys[0].limits.max_parallel: must be at least 1, got -2",
                #"api_keys[0].fallback: expected true or false, got "yes please""#,
                "api_keys[0].fallback_tpm: must be at least 1, got 0",
            ]
        ),
        ProblemCase(yaml: "api_keys: {name: a}", expected: ["api_keys: expected a list, got a mapping"]),
    ]

    @Test(arguments: serverCases + topLevelCases)
    func serverAndTopLevelProblems(_ problemCase: ProblemCase) {
        #expect(problemLines(problemCase.yaml, environment: problemCase.environment) == problemCase.expected)
    }

    @Test(arguments: backendCases)
    func backendProblems(_ problemCase: ProblemCase) {
        #expect(problemLines(problemCase.yaml, environment: problemCase.environment) == problemCase.expected)
    }

    @Test(arguments: modelCases)
    func modelProblems(_ problemCase: ProblemCase) {
        #expect(problemLines(problemCase.yaml, environment: problemCase.environment) == problemCase.expected)
    }

    @Test(arguments: apiKeyCases)
    func apiKeyProblems(_ problemCase: ProblemCase) {
        #expect(problemLines(problemCase.yaml, environment: problemCase.environment) == problemCase.expected)
    }

    @Test func problemsCarryPathAndMessageSeparately() {
        let found = problems("server: {prot: 80}")
        #expect(found == [ConfigProblem(path: "server.prot", message: #"unknown key (did you mean "port"?)"#)])
    }
}
