"""Quotas and budgets through the binary (SPEC §10): exact across two replicas sharing Redis,
durable across a restart (state file) and a Redis restart (AOF), a budget that closes only the
cloud fallback, `/admin/usage` and `relay usage`, and a damaged state file refused at startup."""

from __future__ import annotations

import json
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import raw_http
from redis_server import RedisServer
from relay_configs import standard_config
from relay_process import RelayProcess, free_port, relay_binary


def _chat(relay: RelayProcess, key: str, model: str = "chat-a") -> raw_http.Response:
    return raw_http.request(
        "POST", relay.url("/v1/chat/completions"), headers={"Authorization": f"Bearer {key}"},
        json_body={"model": model, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 16},
    )


def _quota_config(stub, keys, **top) -> dict:
    config = standard_config(stub.base_url, keys)
    config["api_keys"][0]["quotas"] = {"requests_per_day": 9, "tokens_per_month": 1_000_000}
    config.update(top)
    return config


def test_two_replicas_sharing_redis_admit_exactly_the_daily_quota(stub, keys, tmp_path: Path, start_relay) -> None:
    redis = RedisServer(tmp_path).start()
    try:
        config = _quota_config(stub, keys, redis_url=redis.url)
        replicas = [start_relay(config), start_relay(config)]
        with ThreadPoolExecutor(max_workers=30) as pool:
            answers = list(pool.map(lambda i: _chat(replicas[i % 2], keys.main), range(30)))
        statuses = [answer.status for answer in answers]
        assert statuses.count(200) == 9, statuses
        assert statuses.count(429) == 21, statuses
        refused = next(answer for answer in answers if answer.status == 429)
        assert refused.json()["error"]["code"] == "quota_exceeded"
        assert "requests_per_day" in refused.json()["error"]["message"]
        # Until the next 00:00 UTC: at most a day, at least a second.
        assert 1 <= int(refused.header("retry-after")) <= 86_400
        assert refused.header("x-should-retry") == "false"
        # Another key has no quota: it is not counted with this one.
        assert _chat(replicas[0], keys.other).status == 200
    finally:
        redis.kill()


def test_the_state_file_keeps_the_counts_across_a_restart(stub, keys, tmp_path: Path) -> None:
    state = tmp_path / "relay-state.db"
    config = _quota_config(stub, keys, state_path=str(state))
    config["api_keys"][0]["quotas"] = {"requests_per_day": 3}
    with RelayProcess(config, tmp_path / "first") as relay:
        assert [_chat(relay, keys.main).status for _ in range(2)] == [200, 200]
    # A graceful stop writes what is pending; the next process starts from it.
    with RelayProcess(config, tmp_path / "second") as relay:
        assert [_chat(relay, keys.main).status for _ in range(2)] == [200, 429]
    usage = subprocess.run([str(relay_binary()), "usage", "--config", str(tmp_path / "second" / "relay.yaml")],
                           capture_output=True, text=True, timeout=30)
    assert usage.returncode == 0, usage.stderr
    lines = usage.stdout.splitlines()
    assert lines[0].split()[:5] == ["KEY", "QUOTA", "USED", "LIMIT", "REMAINING"], usage.stdout
    assert lines[1].split()[:5] == ["test-main", "requests_per_day", "3", "3", "0"], usage.stdout


def test_a_redis_restart_with_append_only_keeps_the_counts(stub, keys, tmp_path: Path, start_relay) -> None:
    port = free_port()
    command = ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "yes",
               "--appendfsync", "always", "--dir", str(tmp_path)]

    def start_redis() -> subprocess.Popen[bytes]:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True).stdout.strip() == b"PONG":
                return process
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    redis = start_redis()
    config = _quota_config(stub, keys, redis_url=f"redis://127.0.0.1:{port}/0")
    config["api_keys"][0]["quotas"] = {"requests_per_day": 2}
    relay = start_relay(config)
    try:
        assert _chat(relay, keys.main).status == 200
        redis.kill()
        redis.wait()
        redis = start_redis()
        # The Redis client reconnects; the count from before the restart is still there.
        deadline = time.monotonic() + 10
        statuses = []
        while time.monotonic() < deadline and statuses[-2:] != [200, 429]:
            statuses.append(_chat(relay, keys.main).status)
        assert statuses[-2:] == [200, 429], statuses
    finally:
        redis.kill()


def test_a_fallback_budget_closes_the_cloud_path_and_leaves_local_serving(stub, keys, tmp_path: Path,
                                                                          start_relay) -> None:
    config = standard_config(stub.base_url, keys, admin_port=free_port())
    config["state_path"] = str(tmp_path / "state.db")
    # Local fails (the stub answers 500 for this model); the fallback is the same stub, priced.
    config["models"]["priced"] = {
        "backend": "stub", "upstream_model": "fail-500",
        "fallbacks": [{"backend": "stub", "upstream_model": "stub-chat-1",
                       "price": {"input_per_mtok": 0, "output_per_mtok": 10_000}}],
    }
    config["api_keys"][0]["scopes"] = ["*"]
    # $0.01 an output token: a call reserves its 16 max tokens ($0.16) and costs the stub's 4
    # ($0.04). The first fits $0.18; the second's $0.16 on top of $0.04 spent does not.
    config["api_keys"][0]["budget"] = {"usd_per_month": 0.18, "applies_to": "fallback"}
    relay = start_relay(config)
    first = _chat(relay, keys.main, "priced")
    assert first.status == 200, first.text
    second = _chat(relay, keys.main, "priced")
    # The cloud path is closed: the request ends as one no backend could take, not as a 429.
    # Local failed again and the spent budget kept the fallback from being called.
    assert second.status == 502, second.text
    fallback_calls = [r for r in stub.api_requests() if r.json.get("model") == "stub-chat-1"]
    assert len(fallback_calls) == 1, fallback_calls
    # Local serving is untouched.
    assert _chat(relay, keys.main, "chat-a").status == 200

    admin = f"http://127.0.0.1:{config['server']['admin_port']}"
    usage = raw_http.request("GET", admin + "/admin/usage").json()
    quotas = {entry["key"]: entry["quotas"] for entry in usage["keys"]}
    budget = next(quota for quota in quotas["test-main"] if quota["quota"] == "usd_per_month")
    assert budget["limit"] == 0.18 and budget["used"] == 0.04, budget
    assert budget["reset"].endswith("T00:00:00Z") and budget["reset"][8:10] == "01", budget
    metrics = raw_http.request("GET", admin + "/metrics").text
    spend = [line for line in metrics.splitlines() if line.startswith("relay_spend_usd_total{")]
    assert spend and 'key="test-main"' in spend[0] and abs(float(spend[0].split()[-1]) - 0.04) < 1e-9, spend
    assert any(line.startswith('relay_quota_remaining{') for line in metrics.splitlines())


def test_a_damaged_state_file_stops_startup_naming_it(stub, keys, tmp_path: Path) -> None:
    state = tmp_path / "relay-state.db"
    state.write_bytes(b"this is not a database" * 100)
    config = _quota_config(stub, keys, state_path=str(state))
    config_path = tmp_path / "relay.yaml"
    config_path.write_text(json.dumps(config))
    run = subprocess.run([str(relay_binary()), "serve", "--config", str(config_path), "--port", str(free_port())],
                         capture_output=True, text=True, timeout=30)
    assert run.returncode != 0
    assert str(state) in run.stderr + run.stdout, run.stderr + run.stdout
    # Nothing was reset: the file is as it was.
    assert state.read_bytes() == b"this is not a database" * 100
