"""`balance: affinity` (SPEC §9), through the binary in front of two stub replicas: a
conversation stays on one replica, conversations spread over both, and one hot conversation is
held to the load bound (1.25 × the mean in flight)."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import defaultdict
from typing import Any, Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from relay_process import key_hash, new_key
from stub_upstream import StubUpstream


@pytest.fixture
def replicas() -> Iterator[dict[str, StubUpstream]]:
    with StubUpstream() as a, StubUpstream() as b:
        yield {"replica-a": a, "replica-b": b}


def _config(replicas: dict[str, StubUpstream], key: str) -> dict[str, Any]:
    return {
        "server": {"drain_delay_s": 0, "shutdown_grace_s": 5},
        "log": {"level": "info", "format": "json"},
        "backends": {name: {"type": "vllm", "base_url": stub.base_url, "health_path": None,
                            "circuit": {"failures": 1000, "cooldown_s": 1}} for name, stub in replicas.items()},
        "models": {"chat": {"backend": list(replicas), "upstream_model": "stub-chat-1", "balance": "affinity"}},
        "api_keys": [{"name": "affinity", "hash": key_hash(key), "scopes": ["*"]}],
    }


def _chat(port: int, key: str, body: dict[str, Any], **headers: str) -> str:
    """Sends a chat request; returns the replica that answered (x-relay-backend)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("POST", "/v1/chat/completions", body=json.dumps({"model": "chat", **body}).encode(),
                       headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json", **headers})
    response = connection.getresponse()
    response.read()
    connection.close()
    assert response.status == 200
    return response.getheader("x-relay-backend")


def _affinity_counts(port: int) -> dict[str, float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/metrics")
    text = connection.getresponse().read().decode()
    connection.close()
    return {sample.labels["result"]: sample.value for family in text_string_to_metric_families(text)
            for sample in family.samples if sample.name == "relay_affinity_total"}


def _turns(conversation: str, turns: int, *, system: str = "You are helpful.") -> Iterator[list[dict[str, str]]]:
    messages = [{"role": "system", "content": system}]
    for turn in range(turns):
        messages = messages + [{"role": "user", "content": f"{conversation} turn {turn}"}]
        yield messages
        messages = messages + [{"role": "assistant", "content": "ok"}]


@pytest.mark.parametrize("named_by", ["prompt_cache_key", "x-session-id", "user", "prompt"])
def test_each_conversation_stays_on_one_replica_and_conversations_spread(replicas, start_relay, named_by):
    key = new_key()
    relay = start_relay(_config(replicas, key))
    served: dict[str, set[str]] = defaultdict(set)
    for index in range(12):
        conversation = f"conversation-{index}"
        for messages in _turns(conversation, 4, system=f"Document {index}: " + "lorem ipsum " * 40):
            body: dict[str, Any] = {"messages": messages}
            headers: dict[str, str] = {}
            if named_by == "prompt_cache_key":
                body["prompt_cache_key"] = conversation
            elif named_by == "x-session-id":
                headers["x-session-id"] = conversation
            elif named_by == "user":
                body["user"] = conversation
            served[conversation].add(_chat(relay.port, key, body, **headers))
    assert all(len(backends) == 1 for backends in served.values()), dict(served)
    homes = {next(iter(backends)) for backends in served.values()}
    assert homes == set(replicas), "every conversation went to the same replica"
    assert _affinity_counts(relay.port) == {"hit": 48}


def test_one_hot_conversation_is_held_to_the_load_bound(replicas, start_relay):
    """16 requests of one conversation, each held 3 s by the replica, sent one after another: the
    home replica takes them until it is at 1.25 × the mean in flight, then the other does."""
    key = new_key()
    relay = start_relay(_config(replicas, key))
    body = {"prompt_cache_key": "hot", "messages": [{"role": "user", "content": "hot"}]}
    answered: list[str] = []
    threads = []
    for _ in range(16):
        thread = threading.Thread(target=lambda: answered.append(
            _chat(relay.port, key, body, **{"x-stub-delay-ms": "3000"})))
        thread.start()
        threads.append(thread)
        time.sleep(0.05)
    for thread in threads:
        thread.join()
    assert len(answered) == 16
    peaks = {name: stub.max_in_flight for name, stub in replicas.items()}
    # Mean in flight 16 / 2 = 8: no replica above 10.
    assert max(peaks.values()) <= 10 and min(peaks.values()) >= 6, peaks
    counts = _affinity_counts(relay.port)
    assert counts["hit"] == 10 and counts["moved"] == 6, counts
