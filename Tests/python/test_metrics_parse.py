"""Metrics and access lines after known traffic, read the way a monitoring stack reads them.

The exposition is parsed with `prometheus_client`'s text parser (what a scraper would accept),
and every number checked exactly; the access log is parsed as JSON, one line per request, with
its exact set of fields. Client-chosen model names must not add series, and no secret (client
keys, the upstream's key) may appear in any output.
"""

from __future__ import annotations

import http.client
import json
import re
import secrets
import urllib.parse
from collections import Counter
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

import raw_http
from relay_configs import UPSTREAM_API_KEY
from relay_process import RelayProcess, key_hash, new_key

TRACE_ID = re.compile(r"^[0-9a-f]{32}$")
SUCCESS_FIELDS = {"ts", "level", "msg", "request_id", "client_ip", "trace_id", "key", "model", "backend",
                  "upstream_model", "status", "stream", "duration_ms", "overhead_ms", "prompt_tokens",
                  "completion_tokens", "attempts"}
REJECTED_FIELDS = {"ts", "level", "msg", "request_id", "client_ip", "trace_id", "key", "model", "backend",
                   "status", "stream", "duration_ms", "overhead_ms", "attempts", "error"}


def _config(stub_url: str, main: str, limited: str) -> dict[str, Any]:
    backend = {"type": "vllm", "base_url": stub_url, "api_key": UPSTREAM_API_KEY, "max_concurrency": 8,
               "health_path": None, "circuit": {"failures": 1000, "cooldown_s": 1}}
    return {
        "server": {"drain_delay_s": 0, "shutdown_grace_s": 5},
        "log": {"level": "info", "format": "json"},
        "backends": {"stub": backend, "stub-b": dict(backend)},
        "models": {
            "chat-a": {"backend": "stub", "upstream_model": "stub-chat-1"},
            # Fails on the first backend with a 500, then answers from the fallback.
            "fo": {"backend": "stub", "upstream_model": "fail-500",
                   "fallbacks": [{"backend": "stub-b", "upstream_model": "stub-chat-2"}]},
        },
        "api_keys": [
            {"name": "test-main", "hash": key_hash(main), "scopes": ["*"]},
            {"name": "limited", "hash": key_hash(limited), "scopes": ["*"], "limits": {"rpm": 2}},
        ],
    }


class Traffic:
    """Requests on one keep-alive connection, with what each answered."""

    def __init__(self, relay: RelayProcess):
        url = urllib.parse.urlsplit(relay.base_url)
        self.connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        self.answers: list[tuple[int, dict[str, Any] | bytes]] = []

    def chat(self, key: str, model: str, *, stream: bool = False) -> tuple[int, bytes]:
        body = {"model": model, "messages": [{"role": "user", "content": "hello there general kenobi"}]}
        if stream:
            body |= {"stream": True, "stream_options": {"include_usage": True}}
        self.connection.request("POST", "/v1/chat/completions", body=json.dumps(body).encode(),
                                headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
        response = self.connection.getresponse()
        return response.status, response.read()

    def close(self) -> None:
        self.connection.close()


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """Every sample of the exposition, by name and labels (parsed by prometheus_client)."""
    out: dict[tuple[str, frozenset], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return out


def value(parsed: dict, name: str, **labels: str) -> float | None:
    return parsed.get((name, frozenset(labels.items())))


def usage_of(body: bytes, stream: bool) -> dict[str, int]:
    if not stream:
        return json.loads(body)["usage"]
    events = [line[6:] for line in body.decode().split("\n") if line.startswith("data: ") and line != "data: [DONE]"]
    return next(json.loads(e)["usage"] for e in reversed(events) if json.loads(e).get("usage"))


@pytest.fixture
def observed(stub, start_relay):
    """A relay of its own after a known mix of traffic; what it answered, its metrics and logs."""
    main, limited, wrong = new_key(), new_key(), new_key()
    relay = start_relay(_config(stub.base_url, main, limited))
    traffic = Traffic(relay)
    statuses: Counter[tuple[str, int]] = Counter()
    tokens = {"prompt": 0, "completion": 0}
    try:
        for stream in (False, False, False, True, True):
            status, body = traffic.chat(main, "chat-a", stream=stream)
            assert status == 200, body
            usage = usage_of(body, stream)
            tokens["prompt"] += usage["prompt_tokens"]
            tokens["completion"] += usage["completion_tokens"]
            statuses[("chat-a", status)] += 1
        for model, key in (("chat-a", wrong), ("no-such-model", main), ("fo", main)):
            status, _ = traffic.chat(key, model)
            statuses[(model, status)] += 1
        for _ in range(3):
            status, _ = traffic.chat(limited, "chat-a")
            statuses[("limited", status)] += 1
    finally:
        traffic.close()
    assert statuses == Counter({("chat-a", 200): 5, ("chat-a", 401): 1, ("no-such-model", 404): 1,
                                ("fo", 200): 1, ("limited", 200): 2, ("limited", 429): 1})
    relay.wait_for_record(lambda _: len(relay.access_lines()) >= 11)
    metrics = raw_http.request("GET", relay.url("/metrics"))
    assert metrics.status == 200
    return {"relay": relay, "keys": (main, limited, wrong), "tokens": tokens, "metrics": metrics.body.decode()}


def test_metrics_count_known_traffic_exactly(observed):
    parsed = samples(observed["metrics"])
    requests = "relay_requests_total"
    assert value(parsed, requests, model="chat-a", backend="stub", key="test-main", status="200") == 5
    assert value(parsed, requests, model="unknown", backend="none", key="anonymous", status="401") == 1
    assert value(parsed, requests, model="unknown", backend="none", key="test-main", status="404") == 1
    assert value(parsed, requests, model="fo", backend="stub-b", key="test-main", status="200") == 1
    assert value(parsed, requests, model="chat-a", backend="stub", key="limited", status="200") == 2
    assert value(parsed, requests, model="chat-a", backend="none", key="limited", status="429") == 1
    assert sum(v for (name, _), v in parsed.items() if name == requests) == 11

    tokens = observed["tokens"]
    assert value(parsed, "relay_tokens_total", model="chat-a", key="test-main", kind="prompt") == tokens["prompt"]
    assert value(parsed, "relay_tokens_total", model="chat-a", key="test-main", kind="completion") == \
        tokens["completion"]
    # The stub counts words: 4 in the prompt, 7 in "Hello! You said: hello there general kenobi".
    assert (tokens["prompt"], tokens["completion"]) == (5 * 4, 5 * 7)

    assert value(parsed, "relay_request_duration_seconds_count", model="chat-a", backend="stub") == 7
    assert value(parsed, "relay_request_duration_seconds_bucket", model="chat-a", backend="stub", le="+Inf") == 7
    assert value(parsed, "relay_time_to_first_token_seconds_count", model="chat-a", backend="stub") == 2
    assert value(parsed, "relay_request_duration_seconds_count", model="fo", backend="stub-b") == 1
    # Relay's own time is measured for every request, the rejected ones included.
    assert value(parsed, "relay_overhead_seconds_count") == 11
    assert 0 < value(parsed, "relay_overhead_seconds_sum") < 11 * 0.5

    assert value(parsed, "relay_rate_limited_total", key="limited", limit="rpm") == 1
    assert value(parsed, "relay_fallbacks_total", model="fo", **{"from": "stub"}, to="stub-b",
                 reason="status_5xx") == 1
    for backend in ("stub", "stub-b"):
        assert value(parsed, "relay_backend_in_flight", backend=backend) == 0
        assert value(parsed, "relay_backend_up", backend=backend) == 1
    assert value(parsed, "relay_redis_errors_total") == 0


def test_one_json_access_line_per_request_with_exact_fields(observed):
    relay: RelayProcess = observed["relay"]
    lines = relay.access_lines()
    assert len(lines) == 11
    assert len({line["request_id"] for line in lines}) == 11
    assert len({line["trace_id"] for line in lines}) == 11
    for line in lines:
        assert TRACE_ID.match(line["trace_id"]) and line["client_ip"] == "127.0.0.1"
        assert isinstance(line["duration_ms"], float) and 0 <= line["overhead_ms"] <= line["duration_ms"]

    plain = [l for l in lines if l["model"] == "chat-a" and l["key"] == "test-main" and not l["stream"]]
    assert len(plain) == 3
    for line in plain:
        assert set(line) == SUCCESS_FIELDS
        assert (line["level"], line["msg"], line["backend"], line["upstream_model"], line["status"],
                line["attempts"], line["prompt_tokens"], line["completion_tokens"]) == \
            ("info", "request", "stub", "stub-chat-1", 200, 1, 4, 7)

    streams = [l for l in lines if l["stream"]]
    assert len(streams) == 2
    for line in streams:
        assert set(line) == SUCCESS_FIELDS | {"ttft_ms"}
        assert 0 < line["ttft_ms"] <= line["duration_ms"]

    (unauthorized,) = [l for l in lines if l["status"] == 401]
    assert set(unauthorized) == REJECTED_FIELDS
    assert (unauthorized["key"], unauthorized["model"], unauthorized["backend"], unauthorized["attempts"]) == \
        ("anonymous", "unknown", "none", 0)
    (not_found,) = [l for l in lines if l["status"] == 404]
    assert (not_found["key"], not_found["model"], set(not_found)) == ("test-main", "unknown", REJECTED_FIELDS)
    (limited,) = [l for l in lines if l["status"] == 429]
    assert (limited["key"], limited["model"], limited["backend"]) == ("limited", "chat-a", "none")

    (fallback,) = [l for l in lines if l["model"] == "fo"]
    assert set(fallback) == SUCCESS_FIELDS | {"fallback_from", "failed_attempts"}
    assert (fallback["backend"], fallback["upstream_model"], fallback["attempts"], fallback["fallback_from"]) == \
        ("stub-b", "stub-chat-2", 2, "stub")
    assert len(fallback["failed_attempts"]) == 1 and fallback["failed_attempts"][0].startswith("stub: ")


def test_no_secret_in_metrics_or_logs(observed):
    relay: RelayProcess = observed["relay"]
    outputs = {"metrics": observed["metrics"], "stdout": "\n".join(relay.lines),
               "stderr": relay.stderr_path.read_text(errors="replace")}
    for secret in (*observed["keys"], UPSTREAM_API_KEY):
        for name, text in outputs.items():
            assert secret not in text, f"a secret appears in {name}"
            assert secret[-12:] not in text, f"part of a secret appears in {name}"


def test_random_model_names_add_no_series(stub, start_relay):
    main = new_key()
    relay = start_relay(_config(stub.base_url, main, new_key()))
    before = samples(raw_http.request("GET", relay.url("/metrics")).body.decode())
    traffic = Traffic(relay)
    names = [f"m-{secrets.token_hex(6)}" for _ in range(1000)]
    try:
        assert {traffic.chat(main, name)[0] for name in names} == {404}
    finally:
        traffic.close()
    relay.wait_for_record(lambda r: len(relay.access_lines()) >= 1000, timeout_s=30)
    text = raw_http.request("GET", relay.url("/metrics")).body.decode()
    after = samples(text)
    assert value(after, "relay_requests_total", model="unknown", backend="none", key="test-main",
                 status="404") == 1000
    # One new request series, and the overhead histogram's first observations: nothing per name.
    new = {name for name, _ in set(after) - set(before)}
    assert new <= {"relay_requests_total", "relay_overhead_seconds_bucket", "relay_overhead_seconds_count",
                   "relay_overhead_seconds_sum"}
    assert sum(1 for name, _ in set(after) - set(before) if name == "relay_requests_total") == 1
    assert not any(name in text for name in names)
    assert not any(name in line.get("model", "") for line in relay.access_lines() for name in names[:50])

