@testable import RelayCore

/// Parses YAML that is expected to be valid; a failure shows every problem.
func parseValid(_ yaml: String, environment: [String: String] = [:]) throws -> RelayConfig {
    try ConfigLoader.parse(yaml: yaml, environment: environment)
}

/// The problems a YAML text has, or `[]` when it is valid.
func problems(_ yaml: String, environment: [String: String] = [:]) -> [ConfigProblem] {
    do {
        _ = try ConfigLoader.parse(yaml: yaml, environment: environment)
        return []
    } catch {
        return error.problems
    }
}

/// Problem descriptions (`path: message`), the form `relay check-config` prints.
func problemLines(_ yaml: String, environment: [String: String] = [:]) -> [String] {
    problems(yaml, environment: environment).map(\.description)
}

/// A minimal valid config that tests extend: one backend of each type and one model.
let baseBackends = """
    backends:
      local:
        type: ollama
        base_url: http://127.0.0.1:11434
      gpu:
        type: vllm
        base_url: http://10.0.0.5:8000
      cloud:
        type: openai
        base_url: https://api.openai.com

    """

let sha256OfTest = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
