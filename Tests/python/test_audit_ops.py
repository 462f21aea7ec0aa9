"""Operational fixes from a contract audit, through the binary: the limiter's `retry-after`,
`/readyz` following Redis with no requests, `log.level` on access lines, reload, and metrics
series of removed backends."""

from __future__ import annotations

from pathlib import Path

import pytest

import raw_http
from redis_server import RedisServer
from relay_configs import standard_config
from relay_process import key_hash, new_key


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

