"""The stub OpenAI-compatible upstream with vLLM's own ``/metrics``, for ``busy_when`` tests.

``/metrics`` is the Prometheus text a vLLM V1 server (0.10 and later) exposes through
prometheus_client: ``# HELP``/``# TYPE`` lines, one series per engine (``engine="0"``,
``engine="1"`` for data parallelism) labelled with ``model_name``, float values, and, next to
``vllm:num_requests_waiting``, the newer ``vllm:num_requests_waiting_by_reason`` series, whose
name starts with the same letters (a reader that matches by prefix counts the queue twice).

Set the queue on cue: ``vllm.waiting = 9`` (split over the engines), read by the next poll.

Usage::

    with StubVLLM(engines=2) as vllm:
        vllm.waiting = 9
"""

from __future__ import annotations

from typing import Any

from stub_upstream import StubUpstream, _Handler

__all__ = ["StubVLLM", "vllm_metrics"]


def vllm_metrics(model: str, waiting_per_engine: list[int], running: int) -> bytes:
    """vLLM's exposition for the scheduler gauges and the KV cache, as prometheus_client writes it."""
    def series(name: str, values: list[float], **extra: str) -> str:
        labels = "".join(f',{key}="{value}"' for key, value in extra.items())
        return "".join(f'{name}{{engine="{engine}",model_name="{model}"{labels}}} {float(value)}\n'
                       for engine, value in enumerate(values))

    engines = len(waiting_per_engine)
    text = (
        "# HELP python_gc_objects_collected_total Objects collected during gc\n"
        "# TYPE python_gc_objects_collected_total counter\n"
        'python_gc_objects_collected_total{generation="0"} 12183.0\n'
        "# HELP vllm:num_requests_running Number of requests in model execution batches.\n"
        "# TYPE vllm:num_requests_running gauge\n"
        + series("vllm:num_requests_running", [running] + [0] * (engines - 1))
        + "# HELP vllm:num_requests_waiting Number of requests waiting to be processed.\n"
        "# TYPE vllm:num_requests_waiting gauge\n"
        + series("vllm:num_requests_waiting", waiting_per_engine)
        + "# HELP vllm:num_requests_waiting_by_reason Number of requests waiting, by the reason they wait.\n"
        "# TYPE vllm:num_requests_waiting_by_reason gauge\n"
        + series("vllm:num_requests_waiting_by_reason", waiting_per_engine, reason="capacity")
        + series("vllm:num_requests_waiting_by_reason", [0] * engines, reason="deferred")
        + "# HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.\n"
        "# TYPE vllm:kv_cache_usage_perc gauge\n"
        + series("vllm:kv_cache_usage_perc", [0.42] * engines)
        + "# HELP vllm:prompt_tokens_total Number of prefill tokens processed.\n"
        "# TYPE vllm:prompt_tokens_total counter\n"
        + series("vllm:prompt_tokens_total", [1234.0] * engines)
    )
    return text.encode()


class _VLLMHandler(_Handler):
    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        if self.path.split("?")[0] != "/metrics":
            super().do_GET()
            return
        self._record()
        stub: StubVLLM = self.server.stub  # type: ignore[assignment]
        body = vllm_metrics(stub.served_model, stub.waiting_per_engine(), stub.in_flight)
        self._start(200, "text/plain; version=0.0.4; charset=utf-8", None, len(body))
        self.wfile.write(body)
        self.wfile.flush()


class StubVLLM(StubUpstream):
    """A StubUpstream whose ``/metrics`` is vLLM's; ``waiting`` is the queue it reports."""

    def __init__(self, engines: int = 1, served_model: str = "Qwen/Qwen2.5-7B-Instruct", **kwargs: Any):
        super().__init__(**kwargs)
        self.engines = engines
        self.served_model = served_model
        self._server.RequestHandlerClass = _VLLMHandler

    def waiting_per_engine(self) -> list[int]:
        """``waiting`` spread over the engines, as a data-parallel server's scheduler queues are."""
        total = self.waiting
        share, rest = divmod(total, self.engines)
        return [share + (1 if engine < rest else 0) for engine in range(self.engines)]
