import NIOPosix
import Testing

@testable import RelayCore

/// "Ollama is up but the model is not pulled": which models are missing, and what a backend
/// does with that answer.
@Suite struct OllamaModelCheckTests {
    static let tags = Array(
        #"{"models":[{"name":"qwen2.5:7b","model":"qwen2.5:7b","size":4683087332},{"name":"llama3.2:latest","model":"llama3.2:latest"}]}"#
            .utf8)

    static func config() -> RelayConfig {
        var primary = ModelConfig(name: "qwen", backends: ["ollama", "vllm"], upstreamModel: "qwen2.5:7b")
        primary.fallbacks = [TargetConfig(backend: "ollama", upstreamModel: "mistral")]
        return RelayConfig(models: [
            "qwen": primary,
            "llama": ModelConfig(name: "llama", backends: ["ollama"], upstreamModel: "llama3.2"),
            "other": ModelConfig(name: "other", backends: ["vllm"], upstreamModel: "served-elsewhere"),
        ])
    }

    @Test func collectsEveryModelSentToTheBackendAsOwnOrFallback() {
        #expect(
            OllamaModelCheck.upstreamModels(sentTo: "ollama", in: Self.config()) == [
                "llama3.2", "mistral", "qwen2.5:7b",
            ])
        #expect(
            OllamaModelCheck.upstreamModels(sentTo: "vllm", in: Self.config()) == ["qwen2.5:7b", "served-elsewhere"])
        #expect(OllamaModelCheck.upstreamModels(sentTo: "unused", in: Self.config()).isEmpty)
    }

    @Test func namesOnlyTheModelsTheTagsLack() {
        let wanted = ["llama3.2", "mistral", "qwen2.5:7b"]
        #expect(OllamaModelCheck.notPulled(wanted, tagsAnswer: Self.tags) == ["mistral"])
        #expect(OllamaModelCheck.notPulled(wanted, tagsAnswer: Array(#"{"models":[]}"#.utf8)) == wanted)
    }

    @Test func knowsNothingFromAnAnswerThatIsNotATagsList() {
        #expect(OllamaModelCheck.notPulled(["qwen2.5:7b"], tagsAnswer: Array("Ollama is running".utf8)) == nil)
        #expect(OllamaModelCheck.notPulled(["qwen2.5:7b"], tagsAnswer: Array(#"{"status":"ok"}"#.utf8)) == nil)
    }

    @Test func aBackendLacksOnlyWhatItsLastCheckFoundMissing() async {
        let config = BackendConfig(name: "ollama", type: .ollama, baseURL: "http://127.0.0.1:9")
        let backend = Backend(config: config, eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        #expect(!backend.lacksModel("mistral"))
        #expect(backend.noteModelsNotPulled(["mistral"]))
        #expect(!backend.noteModelsNotPulled(["mistral"]))
        #expect(backend.lacksModel("mistral"))
        #expect(!backend.lacksModel("qwen2.5:7b"))
        #expect(backend.modelsNotPulled == ["mistral"])
        #expect(backend.noteModelsNotPulled([]))
        #expect(!backend.lacksModel("mistral"))
        await backend.shutdown()
    }
}
