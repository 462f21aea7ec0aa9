import Testing

@testable import RelayCore
@testable import RelayWire

/// A backend's `apis`: the client APIs it serves itself, so they are passed through.
struct APIsConfigTests {
    @Test func defaultsFollowTheTypeAndAListReplacesThem() throws {
        let config = try parseValid(
            """
            backends:
              vllm: {type: vllm, base_url: "http://h"}
              cloud: {type: openai, base_url: "https://api.openai.com", api_key: k}
              llama: {type: vllm, base_url: "http://h", apis: [chat, messages, responses]}
              local: {type: ollama, base_url: "http://h"}
            models:
              m: {backend: vllm}
            """
        )
        #expect(config.backends["vllm"]?.apis == [.chat])
        #expect(config.backends["cloud"]?.apis == [.chat, .responses])
        #expect(config.backends["llama"]?.apis == [.chat, .messages, .responses])
        #expect(config.backends["local"]?.apis == [])
    }

    @Test func anUnknownAPIIsReportedWithTheChoices() {
        let lines = problemLines(
            "backends:\n  gpu: {type: vllm, base_url: \"http://h\", apis: [chat, anthropic]}\n"
                + "models:\n  m: {backend: gpu}")
        #expect(lines.count == 1, "\(lines)")
        #expect(lines.first?.hasPrefix("backends.gpu.apis[1]") == true, "\(lines)")
        #expect(lines.first?.contains("chat, messages or responses") == true, "\(lines)")
    }

    @Test func ollamaTakesNoAPIs() {
        let lines = problemLines(
            "backends:\n  local: {type: ollama, base_url: \"http://h\", apis: [messages]}\n"
                + "models:\n  m: {backend: local}")
        #expect(lines.count == 1 && lines[0].hasPrefix("backends.local.apis"), "\(lines)")
    }
}
