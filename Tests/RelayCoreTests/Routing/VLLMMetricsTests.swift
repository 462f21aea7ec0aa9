import Testing

@testable import RelayCore

/// Reading the queue length from a vLLM V1 server's `/metrics`, as it exposes it.
@Suite struct VLLMMetricsTests {
    static let exposition = """
        # HELP vllm:num_requests_waiting Number of requests waiting to be processed.
        # TYPE vllm:num_requests_waiting gauge
        vllm:num_requests_waiting{engine="0",model_name="Qwen/Qwen2.5-7B-Instruct"} 2.0
        vllm:num_requests_waiting{engine="1",model_name="Qwen/Qwen2.5-7B-Instruct"} 1.0
        # HELP vllm:num_requests_waiting_by_reason Number of requests waiting, by the reason they wait.
        # TYPE vllm:num_requests_waiting_by_reason gauge
        vllm:num_requests_waiting_by_reason{engine="0",model_name="Qwen/Qwen2.5-7B-Instruct",reason="capacity"} 2.0
        vllm:num_requests_waiting_by_reason{engine="1",model_name="Qwen/Qwen2.5-7B-Instruct",reason="capacity"} 1.0
        vllm:num_requests_running{engine="0",model_name="Qwen/Qwen2.5-7B-Instruct"} 5.0
        """

    @Test func sumsTheEnginesAndIgnoresMetricsThatOnlyShareThePrefix() {
        #expect(VLLMMetrics.requestsWaiting(Self.exposition) == 3)
    }

    @Test func readsASeriesWithoutLabels() {
        #expect(VLLMMetrics.requestsWaiting("vllm:num_requests_waiting 4.0\n") == 4)
        #expect(VLLMMetrics.requestsWaiting("vllm:num_requests_waiting_by_reason{reason=\"capacity\"} 4.0") == nil)
    }
}
