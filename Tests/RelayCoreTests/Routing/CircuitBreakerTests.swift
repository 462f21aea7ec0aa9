import NIOCore
import Testing

@testable import RelayCore

@Suite struct CircuitBreakerTests {
    @Test func opensAfterConsecutiveFailuresAndProbesOnceAfterTheCooldown() {
        let breaker = CircuitBreaker(failures: 3, cooldownSeconds: 10)
        let start = NIODeadline.now()
        #expect(!breaker.recordFailure(now: start))
        breaker.recordSuccess()
        #expect(!breaker.recordFailure(now: start))
        #expect(!breaker.recordFailure(now: start))
        #expect(breaker.recordFailure(now: start))
        #expect(!breaker.allowsRequest(now: start + .seconds(9)))
        #expect(breaker.allowsRequest(now: start + .seconds(10)))
        #expect(!breaker.allowsRequest(now: start + .seconds(10)))
        #expect(breaker.recordFailure(now: start + .seconds(11)))
        #expect(!breaker.allowsRequest(now: start + .seconds(20)))
        #expect(breaker.allowsRequest(now: start + .seconds(21)))
        #expect(breaker.recordSuccess())
        #expect(breaker.state == .closed)
    }

    @Test func aProbeGivenBackLetsTheNextRequestProbe() {
        let breaker = CircuitBreaker(failures: 1, cooldownSeconds: 10)
        let start = NIODeadline.now()
        #expect(breaker.recordFailure(now: start))
        #expect(breaker.admit(now: start + .seconds(10)) == .probe)
        #expect(breaker.admit(now: start + .seconds(10)) == .refused)
        // The probe ended with no outcome (its client left): the circuit does not stay probing.
        breaker.returnProbe(now: start + .seconds(11))
        #expect(breaker.admit(now: start + .seconds(11)) == .probe)
        #expect(breaker.recordSuccess())
        #expect(breaker.admit(now: start + .seconds(11)) == .closed)
        // Given back when closed, nothing changes.
        breaker.returnProbe(now: start + .seconds(12))
        #expect(breaker.state == .closed)
    }

    @Test func healthChecksTripAtOnceAndCloseOnlyAfterTheCooldown() {
        let breaker = CircuitBreaker(failures: 5, cooldownSeconds: 10)
        let start = NIODeadline.now()
        #expect(breaker.trip(now: start))
        #expect(!breaker.recordHealthy(now: start + .seconds(5)))
        #expect(breaker.recordHealthy(now: start + .seconds(10)))
        #expect(breaker.allowsRequest(now: start + .seconds(10)))
    }

    @Test func readsTheQueueFromVLLMMetrics() {
        let exposition = """
            # HELP vllm:num_requests_waiting Number of requests waiting to be processed.
            # TYPE vllm:num_requests_waiting gauge
            vllm:num_requests_waiting{engine="0",model_name="Qwen/Qwen2.5-7B"} 3.0
            vllm:num_requests_waiting{engine="1",model_name="Qwen/Qwen2.5-7B"} 2.0
            vllm:num_requests_running{engine="0",model_name="Qwen/Qwen2.5-7B"} 8.0
            """
        #expect(VLLMMetrics.requestsWaiting(exposition) == 5)
        #expect(VLLMMetrics.requestsWaiting("process_cpu_seconds_total 1.0") == nil)
    }
}
