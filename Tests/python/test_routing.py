"""Routing end to end: a balanced model's load split over its backends, and spill-over driven by
the queue a vLLM server reports on its own /metrics (``busy_when``), with the real relay binary.
"""

from __future__ import annotations

import collections
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterator

import pytest

import raw_http

from relay_configs import Keys
from relay_process import RelayProcess, key_hash
from stub_upstream import StubUpstream
from stub_vllm import StubVLLM

USER = [{"role": "user", "content": "hi"}]


def backend(url: str, **extra: Any) -> dict[str, Any]:
    return {"type": "vllm", "base_url": url, "max_concurrency": 64, "health_path": None,
            "circuit": {"failures": 1000, "cooldown_s": 1}} | extra


def config(backends: dict[str, Any], models: dict[str, Any], key: str) -> dict[str, Any]:
    return {
        "server": {"drain_delay_s": 0, "shutdown_grace_s": 5},
        "log": {"level": "info", "format": "json"},
        "backends": backends,
        "models": models,
        "api_keys": [{"name": "routing-test", "hash": key_hash(key), "scopes": ["*"]}],
    }


def chat(relay: RelayProcess, key: str, model: str, **headers: str) -> raw_http.Response:
    return raw_http.request("POST", relay.url("/v1/chat/completions"), json_body={"model": model, "messages": USER},
                            headers={"authorization": f"Bearer {key}", **headers})


def wait_for(predicate: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


@pytest.fixture
def two_stubs() -> Iterator[tuple[StubUpstream, StubUpstream]]:
    with StubUpstream() as first, StubUpstream() as second:
        yield first, second


# ---- balance --------------------------------------------------------------------------------


def test_a_balanced_model_splits_concurrent_load_evenly(
    start_relay, keys: Keys, two_stubs: tuple[StubUpstream, StubUpstream]
) -> None:
    first, second = two_stubs
    relay = start_relay(config({"gpu-a": backend(first.base_url), "gpu-b": backend(second.base_url)},
                               {"balanced": {"backend": ["gpu-a", "gpu-b"], "upstream_model": "stub-chat-1"}},
                               keys.main))
    requests = 40
    # Every answer takes 300 ms, so the requests overlap and in-flight counts decide.
    with ThreadPoolExecutor(max_workers=requests) as pool:
        answers = list(pool.map(lambda _: chat(relay, keys.main, "balanced", **{"x-stub-delay-ms": "300"}),
                                range(requests)))
    assert all(a.status == 200 for a in answers)
    served = collections.Counter(a.header("x-relay-backend") for a in answers)
    received = (len(first.api_requests()), len(second.api_requests()))
    assert received == (served["gpu-a"], served["gpu-b"]), "the header names the backend that answered"
    # A fair share is 20 each; all-to-one (40/0) or first-heavy (30/10) balancing fails this.
    assert all(14 <= count <= 26 for count in received), f"uneven split under load: {received}"
    # Fewest-in-flight keeps both backends busy at once rather than queueing on one.
    assert first.max_in_flight >= 5 and second.max_in_flight >= 5


def test_one_request_at_a_time_still_alternates(
    start_relay, keys: Keys, two_stubs: tuple[StubUpstream, StubUpstream]
) -> None:
    """Idle backends tie at zero in flight: ties take turns instead of always the first listed."""
    first, second = two_stubs
    relay = start_relay(config({"gpu-a": backend(first.base_url), "gpu-b": backend(second.base_url)},
                               {"balanced": {"backend": ["gpu-a", "gpu-b"], "upstream_model": "stub-chat-1"}},
                               keys.main))
    order = [chat(relay, keys.main, "balanced").header("x-relay-backend") for _ in range(20)]
    counts = collections.Counter(order)
    assert 8 <= counts["gpu-a"] <= 12 and 8 <= counts["gpu-b"] <= 12, f"sequential requests: {order}"


# ---- busy_when: the queue as the vLLM server reports it -------------------------------------


@pytest.fixture
def fleet(start_relay, keys: Keys) -> Iterator[tuple[RelayProcess, StubVLLM, StubUpstream, StubUpstream]]:
    """`gpu` is a vLLM server (two engines) with busy_when {waiting: 4}; `gpu-2` a second server
    without it; `cloud` the fallback."""
    with StubVLLM(engines=2) as gpu, StubUpstream() as gpu2, StubUpstream() as cloud:
        relay = start_relay(config(
            {
                "gpu": backend(gpu.base_url, health_path="/health", health_interval_s=0.2, busy_when={"waiting": 4}),
                "gpu-2": backend(gpu2.base_url),
                "cloud": backend(cloud.base_url),
            },
            {
                "overflow": {"backend": "gpu", "upstream_model": "stub-chat-1",
                             "fallbacks": [{"backend": "cloud", "upstream_model": "stub-chat-1"}]},
                "spread": {"backend": ["gpu", "gpu-2"], "upstream_model": "stub-chat-1"},
                "gpu-only": {"backend": "gpu", "upstream_model": "stub-chat-1", "queue_timeout_s": 0},
            },
            keys.main,
        ))
        yield relay, gpu, gpu2, cloud


def reported_waiting(relay: RelayProcess) -> int | None:
    return raw_http.request("GET", relay.url("/readyz")).json()["backends"]["gpu"].get("waiting")


def busy_fallbacks(relay: RelayProcess) -> float:
    metrics = raw_http.request("GET", relay.url("/metrics")).text
    for line in metrics.splitlines():
        if line.startswith("relay_fallbacks_total{") and 'reason="busy"' in line and 'model="overflow"' in line:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_a_server_reporting_a_long_queue_is_skipped_until_it_drains(fleet, keys: Keys) -> None:
    relay, gpu, gpu2, cloud = fleet
    wait_for(lambda: reported_waiting(relay) == 0)
    assert chat(relay, keys.main, "overflow").header("x-relay-backend") == "gpu"

    # Just under the threshold (2 + 1 over two engines; the `_by_reason` series must not count twice).
    gpu.waiting = 3
    wait_for(lambda: reported_waiting(relay) == 3)
    assert chat(relay, keys.main, "overflow").header("x-relay-backend") == "gpu"

    # The queue grows past busy_when: requests go to the fallback, and skipping is not an attempt.
    gpu.waiting = 9
    wait_for(lambda: reported_waiting(relay) == 9)
    before = len(gpu.api_requests())
    answer = chat(relay, keys.main, "overflow")
    assert answer.status == 200
    assert answer.header("x-relay-backend") == "cloud" and answer.header("x-relay-attempts") == "1"
    assert answer.json()["model"] == "overflow"
    assert busy_fallbacks(relay) == 1.0
    line = relay.wait_for_access_line(answer.header("x-request-id"))
    assert line["backend"] == "cloud" and line["attempts"] == 1
    # A balanced model sends everything to its other backend meanwhile.
    assert {chat(relay, keys.main, "spread").header("x-relay-backend") for _ in range(4)} == {"gpu-2"}
    # With nowhere else to go, the client learns at once instead of joining the queue.
    refused = chat(relay, keys.main, "gpu-only")
    assert refused.status == 503
    assert refused.json()["error"]["code"] == "upstream_unavailable" and "gpu: busy" in refused.text
    assert len(gpu.api_requests()) == before, "a busy server gets no requests from Relay"

    # The queue drains: the server is used again.
    gpu.waiting = 0
    wait_for(lambda: reported_waiting(relay) == 0)
    assert chat(relay, keys.main, "overflow").header("x-relay-backend") == "gpu"
    assert "gpu" in {chat(relay, keys.main, "spread").header("x-relay-backend") for _ in range(4)}
    assert len(gpu.requests_to("/metrics")) >= 4, "the queue is read from the server's own /metrics"
