import NIOPosix
import Testing

@testable import RelayCore

/// The order a balanced model's backends are tried in.
@Suite struct TargetPlannerTests {
    static func backends(_ names: [String]) -> [String: Backend] {
        Dictionary(
            uniqueKeysWithValues: names.map { name in
                let config = BackendConfig(name: name, type: .vllm, baseURL: "http://127.0.0.1:9")
                return (name, Backend(config: config, eventLoopGroup: MultiThreadedEventLoopGroup.singleton))
            })
    }

    static func shutdown(_ backends: [String: Backend]) async {
        for backend in backends.values { await backend.shutdown() }
    }

    @Test func idleBackendsTakeTurnsGoingFirst() async {
        let backends = Self.backends(["a", "b", "c"])
        let model = ModelConfig(name: "m", backends: ["a", "b", "c"], upstreamModel: "m")
        var firsts: [String: Int] = [:]
        for _ in 0..<30 {
            let order = TargetPlanner.targets(for: model, backends: backends, allowFallback: true).map(\.backend.name)
            #expect(Set(order) == ["a", "b", "c"])
            firsts[order[0], default: 0] += 1
        }
        // Other tests share the rotation, so turns may be skipped, but no backend is always first
        // or never first as with a fixed tie-break.
        #expect(firsts.count == 3)
        #expect(firsts.values.allSatisfy { $0 < 30 })
        await Self.shutdown(backends)
    }

    @Test func theLeastLoadedGoesFirstAndFallbacksLast() async {
        let backends = Self.backends(["a", "b", "cloud"])
        var model = ModelConfig(name: "m", backends: ["a", "b"], upstreamModel: "m")
        model.fallbacks = [TargetConfig(backend: "cloud", upstreamModel: "gpt")]
        #expect(backends["a"]!.tryAcquire())
        for _ in 0..<4 {
            let order = TargetPlanner.targets(for: model, backends: backends, allowFallback: true)
            #expect(order.map(\.backend.name) == ["b", "a", "cloud"])
            #expect(order.map(\.isFallback) == [false, false, true])
        }
        #expect(TargetPlanner.targets(for: model, backends: backends, allowFallback: false).count == 2)
        backends["a"]!.release()
        await Self.shutdown(backends)
    }
}
