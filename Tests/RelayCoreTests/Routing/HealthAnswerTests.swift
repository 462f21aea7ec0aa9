import Testing

@testable import RelayCore

/// How a health check reads an answer (SPEC §9), and what it remembers per backend.
@Suite struct HealthAnswerTests {
    @Test(arguments: [200, 204, 301, 401, 403, 404, 405, 429, 499])
    func anAnswerBelow500IsUp(status: Int) {
        #expect(HealthAnswer.answered(status: status, body: nil).isUp)
    }

    @Test(arguments: [500, 502, 503, 504])
    func a5xxIsDown(status: Int) {
        #expect(!HealthAnswer.answered(status: status, body: nil).isUp)
    }

    @Test func noAnswerIsDown() {
        #expect(!HealthAnswer.none.isUp)
        #expect(!HealthAnswer.none.saysPathIsWrong)
        #expect(HealthAnswer.none.rejectedStatus == nil)
    }

    @Test func only404And405SayThePathIsWrong() {
        #expect(HealthAnswer.answered(status: 404, body: nil).saysPathIsWrong)
        #expect(HealthAnswer.answered(status: 405, body: nil).saysPathIsWrong)
        for status in [200, 400, 401, 403, 410, 500] {
            #expect(!HealthAnswer.answered(status: status, body: nil).saysPathIsWrong, "\(status)")
        }
    }

    @Test func theAPIProbeIsWhatEveryServerOfTheTypeServes() {
        #expect(HealthAnswer.apiProbePath(for: .vllm) == "/v1/models")
        #expect(HealthAnswer.apiProbePath(for: .openai) == "/v1/models")
        #expect(HealthAnswer.apiProbePath(for: .ollama) == "/api/tags")
    }

    @Test func aWrongPathIsNotedOnceAndTheAPIIsProbedFromThen() {
        let notes = HealthCheckNotes()
        let config = BackendConfig(name: "llama", type: .vllm, baseURL: "http://h:8000")
        #expect(notes.probePath(for: config, healthPath: "/health") == "/health")
        #expect(notes.notePathIsWrong(config))
        #expect(!notes.notePathIsWrong(config), "warned once, not every interval")
        #expect(notes.probePath(for: config, healthPath: "/health") == "/v1/models")
        let other = BackendConfig(name: "other", type: .vllm, baseURL: "http://h:8000")
        #expect(notes.probePath(for: other, healthPath: "/health") == "/health", "notes are per backend")
    }

    @Test func aReloadThatChangesTheBackendStartsAfresh() {
        let notes = HealthCheckNotes()
        var config = BackendConfig(name: "llama", type: .vllm, baseURL: "http://h:8000")
        _ = notes.notePathIsWrong(config)
        config.healthPath = "/v1/health"
        #expect(notes.probePath(for: config, healthPath: "/v1/health") == "/v1/health")
        #expect(notes.notePathIsWrong(config), "a new mistake is warned about")
        config.baseURL = "http://other:8000"
        #expect(notes.probePath(for: config, healthPath: "/v1/health") == "/v1/health")
    }

    @Test func eachRejectedStatusIsWarnedAboutOnce() {
        let notes = HealthCheckNotes()
        let config = BackendConfig(name: "cloud", type: .openai, baseURL: "https://api.example.com")
        #expect(notes.noteRejected(config, status: 401))
        #expect(!notes.noteRejected(config, status: 401))
        #expect(notes.noteRejected(config, status: 403))
    }
}
