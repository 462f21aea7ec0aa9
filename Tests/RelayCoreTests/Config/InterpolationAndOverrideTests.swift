import Testing

@testable import RelayCore

@Suite("${VAR} interpolation and RELAY_* overrides")
struct InterpolationAndOverrideTests {
    static let cloud = "backends:\n  cloud:\n    type: openai\n    base_url: https://api.openai.com\n"

    @Test func variablesAreReplacedInAnyString() throws {
        let config = try parseValid(
            """
            server:
              host: "${BIND}"
              port: ${PORT:-9000}
              trusted_proxies: ["${PROXY}/8"]
            backends:
              cloud:
                type: openai
                base_url: https://${HOST}/v1
                api_key: Bearer-${KEY}-$$literal-${EMPTY}
            """,
            environment: [
                "BIND": "127.0.0.1", "PROXY": "10.0.0.0", "HOST": "api.example.com", "KEY": "k1", "EMPTY": "",
            ]
        )
        #expect(config.server.host == "127.0.0.1")
        #expect(config.server.port == 9000)
        #expect(config.server.trustedProxies == ["10.0.0.0/8"])
        #expect(config.backends["cloud"]?.baseURL == "https://api.example.com")
        #expect(config.backends["cloud"]?.apiKey == "Bearer-k1-$literal-")
    }

    @Test func anInterpolatedPlainScalarIsRetyped() throws {
        // Block style: in a flow mapping `{port: ${PORT}}` YAML itself reads the braces.
        #expect(try parseValid("server:\n  port: ${PORT}", environment: ["PORT": "8181"]).server.port == 8181)
        #expect(
            problemLines("server:\n  port: \"${PORT}\"", environment: ["PORT": "8181"])
                == [#"server.port: expected an integer, got "${PORT}""#]
        )
    }

    @Test func defaultsApplyWhenUnsetOrEmpty() throws {
        let yaml = Self.cloud + "    api_key: ${KEY:-fallback-key}\n"
        #expect(try parseValid(yaml).backends["cloud"]?.apiKey == "fallback-key")
        #expect(try parseValid(yaml, environment: ["KEY": ""]).backends["cloud"]?.apiKey == "fallback-key")
        #expect(try parseValid(yaml, environment: ["KEY": "set"]).backends["cloud"]?.apiKey == "set")
        // An empty default makes the key optional.
        #expect(try parseValid(Self.cloud + "    api_key: ${KEY:-}\n").backends["cloud"]?.apiKey == nil)
        // The written type decides: a variable holding "true" is still a string here.
        #expect(
            try parseValid(Self.cloud + "    api_key: ${KEY}\n", environment: ["KEY": "true"]).backends["cloud"]?.apiKey
                == "true")
    }

    @Test func missingVariablesAreProblemsAtTheirPath() {
        let yaml = """
            backends:
              openai-fallback:
                type: openai
                base_url: https://api.openai.com
                api_key: ${OPENAI_API_KEY}
                drop_params: ["${A}${B}"]
            """
        #expect(
            problemLines(yaml) == [
                "backends.openai-fallback.api_key: environment variable OPENAI_API_KEY is not set",
                "backends.openai-fallback.drop_params[0]: environment variable A is not set",
                "backends.openai-fallback.drop_params[0]: environment variable B is not set",
            ]
        )
    }

    @Test func aWrongValueFromTheEnvironmentIsNamedByItsVariable() {
        let secret = "sk-secret-from-env"
        let yaml = """
            server:
              trusted_proxies: ["${S}"]
              metrics_path: "/v1/${S}"
            \(baseBackends)
            models:
              m: {backend: ["${S}"]}
            api_keys:
              - {name: a, hash: "\(sha256OfTest)", id: "${S}", scopes: ["${S}"]}
            """
        let lines = problemLines(yaml, environment: ["S": secret])
        #expect(lines.count == 5)
        #expect(lines.allSatisfy { !$0.contains(secret) && $0.contains("${S}") })
    }

    @Test func malformedReferencesAreProblems() {
        #expect(
            problemLines(Self.cloud + "    api_key: ${KEY\n")
                == [#"backends.cloud.api_key: unterminated "${" (write "$$" for a literal "$")"#]
        )
        #expect(
            problemLines(Self.cloud + "    api_key: ${1KEY}\n")
                == [#"backends.cloud.api_key: invalid environment variable name "1KEY" in "${...}""#]
        )
    }

    @Test func loneDollarSignsAreKept() {
        let expansion = EnvironmentInterpolation.expand("$argon2id$v=19$m=8$", environment: [:])
        #expect(expansion.text == "$argon2id$v=19$m=8$")
        #expect(expansion.problems.isEmpty)
        #expect(EnvironmentInterpolation.expand("a$$b$${X}", environment: ["X": "no"]).text == "a$b${X}")
    }

    @Test func interpolationReachesOllamaOptions() throws {
        let config = try parseValid(
            """
            backends:
              local:
                type: ollama
                base_url: http://h
                options:
                  num_ctx: ${CTX}
                  stop: ["${STOP}"]
            """,
            environment: ["CTX": "4096", "STOP": "###"]
        )
        #expect(config.backends["local"]?.options == ["num_ctx": .int(4096), "stop": .array([.string("###")])])
    }

    @Test func environmentOverridesWinOverTheFile() throws {
        let config = try parseValid(
            """
            server: {host: 0.0.0.0, port: 8080}
            log: {level: info, format: json}
            """,
            environment: [
                "RELAY_HOST": "127.0.0.1", "RELAY_PORT": " 9090 ", "RELAY_LOG_LEVEL": "debug",
                "RELAY_LOG_FORMAT": "text", "RELAY_REDIS_URL": "redis://cache:6379/1",
            ]
        )
        #expect(config.server.host == "127.0.0.1")
        #expect(config.server.port == 9090)
        #expect(config.log.level == .debug)
        #expect(config.log.format == .text)
        #expect(config.redisURL == "redis://cache:6379/1")
    }

    @Test func overridesApplyWithoutTheSectionAndEmptyOnesAreIgnored() throws {
        let config = try parseValid("", environment: ["RELAY_PORT": "7000", "RELAY_REDIS_URL": "", "RELAY_HOST": ""])
        #expect(config.server.port == 7000)
        #expect(config.server.host == "0.0.0.0")
        #expect(config.redisURL == nil)
    }

    @Test func overrideValuesAreTakenLiterally() throws {
        let config = try parseValid("", environment: ["RELAY_HOST": "${NOT_EXPANDED}"])
        #expect(config.server.host == "${NOT_EXPANDED}")
    }

    @Test func badOverridesAreReportedUnderTheirVariable() {
        #expect(
            problemLines(
                "server: {port: 8080, admin_port: 9000}",
                environment: [
                    "RELAY_PORT": "abc", "RELAY_LOG_LEVEL": "loud", "RELAY_LOG_FORMAT": "xml",
                    "RELAY_REDIS_URL": "rediss://:pw@h:0",
                ]
            ) == [
                #"env RELAY_PORT: expected an integer, got "abc""#,
                #"env RELAY_LOG_LEVEL: unknown level "loud" (expected trace, debug, info, notice, warning, error or critical)"#,
                #"env RELAY_LOG_FORMAT: unknown format "xml" (expected json or text)"#,
                "env RELAY_REDIS_URL: port must be between 1 and 65535",
            ]
        )
        #expect(
            problemLines("", environment: ["RELAY_PORT": "70000"]) == [
                "env RELAY_PORT: must be between 1 and 65535, got 70000"
            ])
        #expect(
            problemLines("", environment: ["RELAY_PORT": "80.5"]) == ["env RELAY_PORT: expected an integer, got 80.5"])
        #expect(
            problemLines("server: {admin_port: 9000}", environment: ["RELAY_PORT": "9000"])
                == ["server.admin_port: must differ from server.port (9000)"]
        )
    }
}
