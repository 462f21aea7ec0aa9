import NIOPosix
import Testing

@testable import RelayCore
@testable import RelayWire

/// What a backend works out once, when the config is loaded.
@Suite struct BackendTests {
    @Test(arguments: [BackendType.vllm, .ollama])
    func sendsEachEndpointToItsOwnPath(type: BackendType) async {
        let config = BackendConfig(name: "b", type: type, baseURL: "http://127.0.0.1:9/base")
        let backend = Backend(config: config, eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        for endpoint in Endpoint.allCases {
            let path = type == .ollama ? endpoint.ollamaPath : endpoint.rawValue
            #expect(backend.upstreamPath(for: endpoint) == "/base" + path)
        }
        await backend.shutdown()
    }

    @Test func wordsWhatACallWaitsFor() async {
        var config = BackendConfig(name: "b", type: .vllm, baseURL: "http://127.0.0.1:9")
        (config.firstByteTimeout, config.requestTimeout, config.idleTimeout) = (2.5, 30, 10)
        let backend = Backend(config: config, eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        #expect(backend.firstEventWait == "after 2.5s waiting for the first event")
        #expect(backend.answerWait == "after 30s waiting for the answer")
        #expect(backend.silenceWait == "after 10s of silence inside the stream")
        await backend.shutdown()
    }
}
