"""Rate limits shared through a real redis-server by two `relay` processes (SPEC §5)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import raw_http
from relay_configs import standard_config
from redis_server import RedisServer


@pytest.fixture
def redis(tmp_path: Path):
    server = RedisServer(tmp_path).start()
    yield server
    server.kill()


def _limited_config(stub, keys, redis_url: str, mode: str = "open", rpm: int = 10) -> dict:
    config = standard_config(stub.base_url, keys)
    config["redis_url"] = redis_url
    config["rate_limit_failure_mode"] = mode
    config["api_keys"][0]["limits"] = {"rpm": rpm}
    return config


def _chat(relay, key: str) -> raw_http.Response:
    return raw_http.request(
        "POST", relay.url("/v1/chat/completions"), headers={"Authorization": f"Bearer {key}"},
        json_body={"model": "chat-a", "messages": [{"role": "user", "content": "hi"}]},
    )


def test_two_replicas_sharing_redis_admit_exactly_rpm_in_a_concurrent_burst(stub, keys, redis, start_relay):
    config = _limited_config(stub, keys, redis.url, rpm=10)
    replicas = [start_relay(config), start_relay(config)]
    with ThreadPoolExecutor(max_workers=30) as pool:
        statuses = list(pool.map(lambda i: _chat(replicas[i % 2], keys.main).status, range(30)))
    assert statuses.count(200) == 10, statuses
    assert statuses.count(429) == 20, statuses
    assert len(stub.api_requests()) == 10


def test_open_mode_keeps_serving_without_redis_and_shares_again_when_it_is_back(stub, keys, redis, start_relay):
    relay = start_relay(_limited_config(stub, keys, redis.url, mode="open", rpm=1000))
    assert _chat(relay, keys.main).status == 200
    redis.kill()
    assert _chat(relay, keys.main).status == 200
    ready = raw_http.request("GET", relay.url("/readyz"))
    assert ready.status == 200 and ready.json()["rate_limits"] == "redis_unreachable"
    relay.wait_for_record(lambda record: "Redis is unreachable" in record.get("msg", ""))
    metrics = raw_http.request("GET", relay.url("/metrics")).text
    assert any(line.startswith("relay_redis_errors_total ") and float(line.split()[-1]) >= 1
               for line in metrics.splitlines())

    redis.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        assert _chat(relay, keys.main).status == 200
        if raw_http.request("GET", relay.url("/readyz")).json()["rate_limits"] == "redis":
            break
        time.sleep(0.2)
    assert raw_http.request("GET", relay.url("/readyz")).json()["rate_limits"] == "redis"


def test_closed_mode_answers_503_while_redis_is_away(stub, keys, redis, start_relay):
    relay = start_relay(_limited_config(stub, keys, redis.url, mode="closed"))
    assert _chat(relay, keys.main).status == 200
    redis.kill()
    refused = _chat(relay, keys.main)
    assert refused.status == 503
    assert refused.json()["error"]["type"] == "api_error"
    assert raw_http.request("GET", relay.url("/readyz")).status == 503
    requests_before = len(stub.api_requests())
    assert _chat(relay, keys.main).status == 503
    assert len(stub.api_requests()) == requests_before
