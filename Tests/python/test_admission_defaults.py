"""SPEC §9's admission defaults through the real binary: a config that sets no `max_concurrency`
puts no cap on a backend (200 concurrent requests all answered, not 503), and `relay
check-config` prints what each backend and model admits, defaults included.
"""

from __future__ import annotations

import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterator

import pytest

import raw_http

from relay_configs import Keys
from relay_process import REPO_ROOT, RelayProcess, key_hash, relay_binary
from stub_slow import StubSlow

USER = [{"role": "user", "content": "hi"}]
CONCURRENT = 200


def default_config(stub_url: str, key: str) -> dict[str, Any]:
    """What a new user writes: a backend and a model, no admission settings at all."""
    return {
        "server": {"drain_delay_s": 0, "shutdown_grace_s": 5},
        "log": {"level": "info", "format": "json"},
        "backends": {"local": {"type": "vllm", "base_url": stub_url}},
        "models": {"chat": {"backend": "local", "upstream_model": "stub-chat-1"}},
        "api_keys": [{"name": "admission-test", "hash": key_hash(key), "scopes": ["*"]}],
    }


@pytest.fixture
def slow_stub() -> Iterator[StubSlow]:
    # Every answer takes 200 ms upstream, so the requests are in flight together.
    with StubSlow(delay_s=0.2, backlog=CONCURRENT * 2) as stub:
        yield stub


def chat(relay: RelayProcess, key: str) -> raw_http.Response:
    return raw_http.request("POST", relay.url("/v1/chat/completions"), json_body={"model": "chat", "messages": USER},
                            headers={"authorization": f"Bearer {key}"})


def test_200_concurrent_requests_through_a_default_config_are_all_answered(
    start_relay, keys: Keys, slow_stub: StubSlow
) -> None:
    relay = start_relay(default_config(slow_stub.base_url, keys.main))
    with ThreadPoolExecutor(max_workers=CONCURRENT) as pool:
        answers = list(pool.map(lambda _: chat(relay, keys.main), range(CONCURRENT)))
    statuses = sorted({a.status for a in answers})
    refused = [a.text for a in answers if a.status != 200][:3]
    assert statuses == [200], f"statuses {statuses}, for example {refused}"
    assert all(a.json()["model"] == "chat" for a in answers)
    assert all(a.header("x-relay-attempts") == "1" for a in answers), "no request was turned away first"
    assert len(slow_stub.api_requests()) == CONCURRENT
    # Past the cap of 8 a backend once had by default: the server got the load at once.
    assert slow_stub.max_in_flight > 8, f"at most {slow_stub.max_in_flight} requests reached the server together"
    lines = relay.access_lines()
    assert len([line for line in lines if line.get("status") == 200]) == CONCURRENT


def check_config(config: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(relay_binary()), "check-config", "--config", str(config)], capture_output=True,
                          text=True, timeout=60, env={**os.environ, **(env or {})})


def test_check_config_prints_each_backends_and_models_admission_values(tmp_path: Path) -> None:
    config = tmp_path / "relay.yaml"
    config.write_text(
        "backends:\n"
        "  open: {type: vllm, base_url: 'http://127.0.0.1:9'}\n"
        "  capped: {type: vllm, base_url: 'http://127.0.0.1:9', max_concurrency: 4, busy_when: {waiting: 2}}\n"
        "models:\n"
        "  roomy: {backend: open}\n"
        "  strict: {backend: [capped, open], queue_timeout_s: 0.5, max_queue: 7}\n"
    )
    result = check_config(config)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"{config}: valid (2 backends, 2 models, 0 api keys)",
        "  backend capped: max_concurrency 4, busy_when waiting 2",
        "  backend open: max_concurrency none",
        "  model roomy: queue_timeout_s 30, max_queue 1000",
        "  model strict: queue_timeout_s 0.5, max_queue 7",
    ]


def test_check_config_refuses_a_bad_max_queue(tmp_path: Path) -> None:
    config = tmp_path / "relay.yaml"
    config.write_text(
        "backends:\n  b: {type: vllm, base_url: 'http://127.0.0.1:9'}\n"
        "models:\n  m: {backend: b, max_queue: 0}\n"
    )
    result = check_config(config)
    assert result.returncode == 1
    assert "models.m.max_queue: must be at least 1, got 0" in result.stderr.splitlines()


def test_the_demo_config_is_valid_and_sets_no_cap() -> None:
    demo = REPO_ROOT / "examples" / "demo.yaml"
    result = check_config(demo, {"RELAY_DEMO_BACKEND_URL": "http://127.0.0.1:9",
                                 "RELAY_DEMO_KEY_HASH": key_hash("rk-demo-key")})
    assert result.returncode == 0, result.stderr
    assert "  backend llama-local: max_concurrency none" in result.stdout.splitlines()
    assert "  model smollm2: queue_timeout_s 30, max_queue 1000" in result.stdout.splitlines()
