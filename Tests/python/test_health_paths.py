"""Health checks that don't refuse working backends (SPEC §9), through the real binary: a 404 on
the health path logs one warning and Relay probes the API instead; only no answer and 5xx mark
a backend down.
"""

from __future__ import annotations

import time
from typing import Any, Callable

import raw_http

from relay_configs import Keys
from relay_process import RelayProcess, free_port, key_hash
from stub_health import StubHealth

USER = [{"role": "user", "content": "hi"}]
#: Often enough that a test sees several rounds of checks in well under a second each.
INTERVAL = 0.2


def config(backend: dict[str, Any], key: str) -> dict[str, Any]:
    """One backend as a new user writes it (type and base_url; checks every INTERVAL) and one model."""
    return {
        "server": {"drain_delay_s": 0, "shutdown_grace_s": 5},
        "log": {"level": "info", "format": "json"},
        "backends": {"llama": {"type": "vllm", "health_interval_s": INTERVAL} | backend},
        "models": {"chat": {"backend": "llama", "upstream_model": "stub-chat-1"}},
        "api_keys": [{"name": "health-test", "hash": key_hash(key), "scopes": ["*"]}],
    }


def chat(relay: RelayProcess, key: str) -> raw_http.Response:
    return raw_http.request("POST", relay.url("/v1/chat/completions"), json_body={"model": "chat", "messages": USER},
                            headers={"authorization": f"Bearer {key}"})


def backend_state(relay: RelayProcess) -> str:
    return raw_http.request("GET", relay.url("/readyz")).json()["backends"]["llama"]["state"]


def wait_for(predicate: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def warnings(relay: RelayProcess) -> list[dict[str, Any]]:
    return [r for r in relay.records() if r.get("level") == "warning"]


def test_a_vllm_backend_without_health_is_probed_through_its_api_and_serves(start_relay, keys: Keys) -> None:
    with StubHealth(health_status=404) as server:
        relay = start_relay(config({"base_url": server.base_url}, keys.main))
        # Several rounds of checks after the 404: the API answers each of them.
        wait_for(lambda: len(server.requests_to("/v1/models")) >= 3)

        answer = chat(relay, keys.main)
        assert answer.status == 200, answer.text
        assert answer.header("x-relay-backend") == "llama" and answer.json()["model"] == "chat"
        assert backend_state(relay) == "up"

        found = warnings(relay)
        assert [w["msg"] for w in found] == ["health_path_not_found"], "one warning, not one per interval"
        assert found[0]["backend"] == "llama" and found[0]["health_path"] == "/health"
        assert found[0]["status"] == "404" and found[0]["probing"] == "/v1/models"
        assert len(server.requests_to("/health")) == 1, "the wrong path is not asked again"


def test_a_405_on_the_health_path_is_a_wrong_path_too(start_relay, keys: Keys) -> None:
    with StubHealth(health_status=405) as server:
        relay = start_relay(config({"base_url": server.base_url}, keys.main))
        wait_for(lambda: len(server.requests_to("/v1/models")) >= 2)
        assert backend_state(relay) == "up"
        assert [(w["msg"], w["status"]) for w in warnings(relay)] == [("health_path_not_found", "405")]
        assert chat(relay, keys.main).status == 200


def test_a_health_path_answering_500_marks_the_backend_down(start_relay, keys: Keys) -> None:
    with StubHealth(health_status=500) as server:
        relay = start_relay(config({"base_url": server.base_url}, keys.main))
        wait_for(lambda: backend_state(relay) == "circuit_open")
        opened = relay.wait_for_record(lambda r: r.get("msg") == "circuit_open")
        assert opened["backend"] == "llama" and opened["reason"] == "health check failed"

        refused = chat(relay, keys.main)
        assert refused.status == 503
        assert refused.json()["error"]["code"] == "upstream_unavailable"
        assert "llama: circuit open" in refused.json()["error"]["message"]
        assert server.api_requests() == [], "a backend that is down gets no requests"
        assert server.requests_to("/v1/models") == [], "a 5xx is not a wrong path"
        assert "health_path_not_found" not in [w["msg"] for w in warnings(relay)]


def test_a_backend_that_refuses_connections_is_marked_down(start_relay, keys: Keys) -> None:
    relay = start_relay(config({"base_url": f"http://127.0.0.1:{free_port()}"}, keys.main))
    wait_for(lambda: backend_state(relay) == "circuit_open")
    assert chat(relay, keys.main).status == 503


def test_a_health_path_answering_401_counts_as_up_with_one_warning(start_relay, keys: Keys) -> None:
    with StubHealth(health_status=401) as server:
        relay = start_relay(config({"base_url": server.base_url}, keys.main))
        wait_for(lambda: len(server.requests_to("/health")) >= 3)
        assert backend_state(relay) == "up"
        found = warnings(relay)
        assert [(w["msg"], w["status"], w["path"]) for w in found] == [("health_check_rejected", "401", "/health")]
        assert chat(relay, keys.main).status == 200
