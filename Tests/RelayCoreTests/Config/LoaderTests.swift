import Foundation
import Testing

@testable import RelayCore

@Suite("Loading files, paths and reporting")
struct LoaderTests {
    @Test func resolvePathPrefersFlagThenEnvironmentThenDefault() {
        let environment = ["RELAY_CONFIG": "/etc/relay/relay.yaml"]
        #expect(ConfigLoader.resolvePath(flag: "/tmp/a.yaml", environment: environment) == "/tmp/a.yaml")
        #expect(ConfigLoader.resolvePath(flag: nil, environment: environment) == "/etc/relay/relay.yaml")
        #expect(ConfigLoader.resolvePath(flag: nil, environment: [:]) == "./relay.yaml")
        #expect(ConfigLoader.resolvePath(flag: "", environment: ["RELAY_CONFIG": ""]) == "./relay.yaml")
    }

    @Test func loadReadsAFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("relay-\(UUID().uuidString).yaml").path
        try "server:\n  port: ${P}\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try ConfigLoader.load(path: path, environment: ["P": "8123"]).server.port == 8123)
    }

    @Test func anUnreadableFileIsOneProblem() {
        #expect(throws: ConfigError.self) { try ConfigLoader.load(path: "/nonexistent/relay.yaml", environment: [:]) }
        do {
            _ = try ConfigLoader.load(path: "/nonexistent/relay.yaml", environment: [:])
        } catch {
            #expect(
                error.problems == [
                    ConfigProblem(path: "", message: #"config file "/nonexistent/relay.yaml" does not exist"#)
                ])
            #expect(error.description == #"config file "/nonexistent/relay.yaml" does not exist"#)
        }
        do {
            _ = try ConfigLoader.load(path: FileManager.default.temporaryDirectory.path, environment: [:])
        } catch {
            #expect(error.problems.count == 1)
            #expect(error.problems.first?.message.hasPrefix("cannot read config file") == true)
        }
    }

    @Test func yamlSyntaxErrorIsOneProblemWithItsLine() {
        let found = problems("server:\n  port: 8080\n  host: [unclosed\nlog: {}\n")
        #expect(found.count == 1)
        #expect(found.first?.path == "")
        #expect(found.first?.message.hasPrefix("invalid YAML at line ") == true)
        #expect(problemLines("server:\n  port: 1\n  port: 2\n") == [#"invalid YAML at line 2: duplicate key "port""#])
        #expect(
            problemLines("a: b\n c: d\n") == [
                "invalid YAML at line 2, column 3: mapping values are not allowed in this context"
            ])
    }

    @Test func unknownKeysAreRejectedAtEveryLevelWithSuggestions() {
        let yaml = """
            sever: {}
            server: {prot: 80}
            log: {levle: info, colour: true}
            backends:
              x: {type: vllm, base_ulr: "http://h", base_url: "http://h", circuit: {failure: 3}}
            models:
              m: {backends: x}
            """
        #expect(
            problemLines(yaml) == [
                #"sever: unknown key (did you mean "server"?)"#,
                #"server.prot: unknown key (did you mean "port"?)"#,
                #"log.levle: unknown key (did you mean "level"?)"#,
                "log.colour: unknown key",
                #"backends.x.base_ulr: unknown key (did you mean "base_url"?)"#,
                #"backends.x.circuit.failure: unknown key (did you mean "failures"?)"#,
                #"models.m.backends: unknown key (did you mean "backend"?)"#,
                "models.m.backend: missing required key",
            ]
        )
    }

    @Test func everyProblemIsReportedAtOnce() {
        let yaml = """
            server: {port: 0, metrics_path: metrics}
            log: {level: loud}
            default_max_tokens: -1
            backends:
              a: {type: olama, base_url: "ftp://h"}
            models:
              qwen2.5: {backend: b, fallbacks: [{backend: c}]}
            api_keys:
              - {name: k, hash: nope, scopes: [nomodel]}
            """
        let error = #expect(throws: ConfigError.self) { try ConfigLoader.parse(yaml: yaml, environment: [:]) }
        let expected = [
            "server.port: must be between 1 and 65535, got 0",
            #"server.metrics_path: must start with "/" (or be null to disable metrics)"#,
            #"log.level: unknown level "loud" (expected trace, debug, info, notice, warning, error or critical)"#,
            "default_max_tokens: must be between 1 and 4294967295, got -1",
            #"backends.a.type: unknown type "olama" (expected ollama, vllm or openai)"#,
            "backends.a.base_url: expected an http:// or https:// URL",
            #"models.qwen2.5.backend: unknown backend "b""#,
            #"models.qwen2.5.fallbacks[0].backend: unknown backend "c""#,
            #"api_keys[0].hash: expected "sha256:<64 hex digits>" or an argon2id PHC string"#,
            #"api_keys[0].scopes[0]: unknown model "nomodel""#,
        ]
        #expect(error?.problems.map(\.description) == expected)
        #expect(error?.description == expected.joined(separator: "\n"))
    }

    @Test func aBrokenBackendIsNotReportedAgainByItsModels() {
        #expect(
            problemLines("backends:\n  a: {type: olama, base_url: \"http://h\"}\nmodels:\n  m: {backend: a}\n")
                == [#"backends.a.type: unknown type "olama" (expected ollama, vllm or openai)"#]
        )
    }

    @Test(arguments: [
        ("http://h:8000", "http://h:8000"),
        ("http://h:8000/", "http://h:8000"),
        ("http://h:8000/v1", "http://h:8000"),
        ("http://h:8000/v1/", "http://h:8000"),
        ("https://proxy.example.com/openai/v1", "https://proxy.example.com/openai"),
        ("https://proxy.example.com/v1/v1", "https://proxy.example.com/v1"),
        ("https://h/v10", "https://h/v10"),
    ])
    func baseURLLosesTrailingSlashAndOneV1(written: String, stored: String) throws {
        let config = try parseValid("backends:\n  x: {type: vllm, base_url: \"\(written)\"}")
        #expect(config.backends["x"]?.baseURL == stored)
    }

    @Test func fallbacksAcceptStringsAndMappings() throws {
        let config = try parseValid(
            baseBackends + """
                models:
                  qwen2.5:
                    backend: [local, gpu]
                    upstream_model: qwen2.5:7b
                    queue_timeout_s: 1.5
                    fallbacks:
                      - gpu
                      - {backend: cloud, upstream_model: gpt-4o-mini}
                      - {backend: cloud}
                """
        )
        let model = try #require(config.models["qwen2.5"])
        #expect(model.backends == ["local", "gpu"])
        #expect(model.queueTimeout == 1.5)
        #expect(
            model.fallbacks == [
                TargetConfig(backend: "gpu", upstreamModel: "qwen2.5:7b"),
                TargetConfig(backend: "cloud", upstreamModel: "gpt-4o-mini"),
                TargetConfig(backend: "cloud", upstreamModel: "qwen2.5:7b"),
            ]
        )
    }

    @Test func editDistanceAndSuggestions() {
        #expect(KeySuggestion.editDistance("prot", "port") == 2)
        #expect(KeySuggestion.editDistance("", "abc") == 3)
        #expect(KeySuggestion.closest(to: "hots", among: ["host", "port"]) == "host")
        #expect(KeySuggestion.closest(to: "xyzzy", among: ["host", "port"]) == nil)
        #expect(KeySuggestion.closest(to: "ab", among: ["id"]) == nil)
    }
}
