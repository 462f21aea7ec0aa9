import Testing

@testable import RelayCore

/// SPEC §9's admission keys: `max_concurrency` (no cap unless set), `queue_timeout_s` and
/// `max_queue`, as the loader reads and checks them.
@Suite("SPEC §9 admission settings")
struct AdmissionConfigTests {
    @Test func unsetKeysMeanNoCapAndAQueue() throws {
        let config = try parseValid(baseBackends + "models:\n  m: {backend: gpu}")
        for backend in config.backends.values {
            #expect(backend.maxConcurrency == .max, "\(backend.name)")
        }
        let model = try #require(config.models["m"])
        #expect(model.queueTimeout == 30)
        #expect(model.maxQueue == 1000)
    }

    @Test func writtenValuesAreKept() throws {
        let config = try parseValid(
            """
            backends:
              capped: {type: vllm, base_url: "http://h", max_concurrency: 3}
              open: {type: vllm, base_url: "http://h", max_concurrency: null}
            models:
              m: {backend: capped, queue_timeout_s: 0, max_queue: 5}
            """
        )
        #expect(config.backends["capped"]?.maxConcurrency == 3)
        #expect(config.backends["open"]?.maxConcurrency == .max, "null is no cap, as leaving it out")
        #expect(config.models["m"]?.queueTimeout == 0)
        #expect(config.models["m"]?.maxQueue == 5)
    }

    @Test(arguments: [
        ("max_queue: 0", "models.m.max_queue: must be at least 1, got 0"),
        ("max_queue: -3", "models.m.max_queue: must be at least 1, got -3"),
        ("max_queue: 2.5", "models.m.max_queue: expected an integer, got 2.5"),
        ("max_queue: lots", #"models.m.max_queue: expected an integer, got "lots""#),
        ("max_queu: 10", #"models.m.max_queu: unknown key (did you mean "max_queue"?)"#),
    ])
    func badMaxQueueIsReportedAtItsPath(written: String, expected: String) {
        #expect(problemLines(baseBackends + "models:\n  m: {backend: gpu, \(written)}") == [expected])
    }
}
