"""Operational fixes from a contract audit, through the binary: the limiter's `retry-after`,
`/readyz` following Redis with no requests, `log.level` on access lines, reload, and metrics
series of removed backends."""

from __future__ import annotations

import copy
import signal
import time
import uuid
from pathlib import Path

import pytest

import raw_http
from redis_server import RedisServer
from relay_configs import standard_config
from relay_process import RelayProcess, key_hash, new_key


class QuietRelay(RelayProcess):
    """A relay whose `log.level` may hide its `listening` line: ready once `/healthz` answers."""

    def _wait_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"relay exited with {self.process.returncode}\n{self.diagnostics()}")
            try:
                if raw_http.request("GET", self.url("/healthz"), timeout=2).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"relay not ready\n{self.diagnostics()}")


@pytest.fixture
def redis(tmp_path: Path):
    server = RedisServer(tmp_path).start()
    yield server
    server.kill()


def _chat(relay, key: str) -> raw_http.Response:
    return raw_http.request(
        "POST", relay.url("/v1/chat/completions"), headers={"Authorization": f"Bearer {key}"},
        json_body={"model": "chat-a", "messages": [{"role": "user", "content": "hi"}]},
    )


def _one_rpm_keys(config: dict, count: int) -> list[str]:
    """`count` more keys with `rpm: 1` each, added to `config`."""
    limited = [new_key() for _ in range(count)]
    config["api_keys"] += [{"name": f"one-rpm-{index}", "hash": key_hash(key), "scopes": ["*"],
                            "limits": {"rpm": 1}} for index, key in enumerate(limited)]
    return limited


def _assert_retry_after_within_the_window(relay, limited: list[str]) -> None:
    # Each key's second request comes right after its first, nearly always in the same second:
    # the first request leaves the window 60 s after it was made, never later.
    for key in limited:
        assert _chat(relay, key).status == 200
        refused = _chat(relay, key)
        assert refused.status == 429
        assert refused.json()["error"]["code"] == "rate_limit_exceeded"
        retry_after = int(refused.header("retry-after"))
        assert 1 <= retry_after <= 60, retry_after


@pytest.mark.parametrize("store", ["in_process", "redis"])
def test_retry_after_never_exceeds_the_sixty_second_window(stub, keys, start_relay, request, store):
    config = standard_config(stub.base_url, keys)
    if store == "redis":
        config["redis_url"] = request.getfixturevalue("redis").url
    limited = _one_rpm_keys(config, 8)
    relay = start_relay(config)
    _assert_retry_after_within_the_window(relay, limited)


def _chat_with_id(relay, key: str, model: str) -> tuple[raw_http.Response, str]:
    request_id = str(uuid.uuid4())
    response = raw_http.request(
        "POST", relay.url("/v1/chat/completions"),
        headers={"Authorization": f"Bearer {key}", "x-request-id": request_id},
        json_body={"model": model, "messages": [{"role": "user", "content": "hi"}]},
    )
    return response, request_id


@pytest.mark.parametrize("level", ["warning", "error"])
def test_log_level_above_info_leaves_out_access_lines_of_answers_below_5xx(stub, keys, start_relay, level):
    config = standard_config(stub.base_url, keys)
    config["log"]["level"] = level
    relay = start_relay(config, process_type=QuietRelay)
    served, served_id = _chat_with_id(relay, keys.main, "chat-a")
    assert served.status == 200
    failed, failed_id = _chat_with_id(relay, keys.main, "bad-500")
    assert failed.status == 502
    # Lines are written in order: once the later 5xx line is there, the 200's would be too.
    line = relay.wait_for_access_line(failed_id)
    assert line["level"] == "error" and line["status"] == 502
    assert relay.access_lines(served_id) == []
    assert all(record.get("level") != "info" for record in relay.records())
    metrics = raw_http.request("GET", relay.url("/metrics")).text
    assert any(line.startswith("relay_requests_total{") and 'status="200"' in line for line in metrics.splitlines())


def test_log_level_info_writes_every_access_line(stub, keys, start_relay):
    relay = start_relay(standard_config(stub.base_url, keys))
    served, served_id = _chat_with_id(relay, keys.main, "chat-a")
    assert served.status == 200
    assert relay.wait_for_access_line(served_id)["level"] == "info"


def _gauge_backends(relay, name: str) -> set[str]:
    text = raw_http.request("GET", relay.url("/metrics")).text
    return {line.split('backend="', 1)[1].split('"', 1)[0] for line in text.splitlines()
            if line.startswith(name + "{")}


def test_a_backend_removed_by_reload_loses_its_gauge_series(stub, keys, start_relay):
    config = standard_config(stub.base_url, keys)
    config["backends"]["extra"] = dict(config["backends"]["stub"])
    config["models"]["chat-extra"] = {"backend": "extra", "upstream_model": "stub-chat-1"}
    relay = start_relay(config)
    for gauge in ("relay_backend_in_flight", "relay_backend_up"):
        assert _gauge_backends(relay, gauge) == {"stub", "extra"}

    without = copy.deepcopy(config)
    del without["backends"]["extra"]
    del without["models"]["chat-extra"]
    relay.write_config(without)
    relay.signal(signal.SIGHUP)
    relay.wait_for_record(lambda record: record.get("msg") == "config_reloaded")
    for gauge in ("relay_backend_in_flight", "relay_backend_up"):
        assert _gauge_backends(relay, gauge) == {"stub"}


def _wait_for_readyz(relay, status: int, timeout_s: float = 30) -> raw_http.Response:
    """`/readyz` once it answers `status`, polling it (and sending nothing else)."""
    deadline = time.monotonic() + timeout_s
    while True:
        ready = raw_http.request("GET", relay.url("/readyz"))
        if ready.status == status or time.monotonic() > deadline:
            return ready
        time.sleep(0.1)


def test_closed_mode_readyz_follows_redis_with_no_requests(stub, keys, start_relay, tmp_path):
    server = RedisServer(tmp_path)  # not started: Redis is down when Relay starts
    config = standard_config(stub.base_url, keys)
    config["redis_url"] = server.url
    config["rate_limit_failure_mode"] = "closed"
    config["api_keys"][0]["limits"] = {"rpm": 100}
    relay = start_relay(config)
    try:
        down = _wait_for_readyz(relay, 503)
        assert down.status == 503 and down.json()["rate_limits"] == "redis_unreachable"
        relay.wait_for_record(lambda record: "Redis is unreachable" in record.get("msg", ""))

        server.start()
        up = _wait_for_readyz(relay, 200)
        assert up.status == 200 and up.json()["rate_limits"] == "redis"
        relay.wait_for_record(lambda record: "Redis is reachable again" in record.get("msg", ""))
        assert stub.api_requests() == []

        server.kill()
        assert _wait_for_readyz(relay, 503).status == 503
        server.start()
        assert _wait_for_readyz(relay, 200).status == 200
        # Ready again, and requests are served through Redis again.
        assert _chat(relay, keys.main).status == 200
    finally:
        server.kill()
