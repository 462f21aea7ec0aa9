"""Rate limits shared through a real redis-server by two `relay` processes (SPEC §5)."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import raw_http
from relay_configs import standard_config
from redis_server import RedisServer
from relay_process import free_port
from waiting import wait_until


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




_ANSWER = (
    '{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"stub-chat-1","choices":[{"index":0,'
    '"message":{"role":"assistant","content":"hello"},"finish_reason":"stop"}],'
    '"usage":{"prompt_tokens":9,"completion_tokens":1,"total_tokens":10}}'
)


@pytest.fixture
def instant_upstream(tmp_path: Path):
    """nginx answering every request with one chat completion at once: an upstream fast enough
    for `wrk` to keep two replicas busy (the Python stub would be the bottleneck)."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    port = free_port()
    user = "user root;" if os.geteuid() == 0 else ""
    (tmp_path / "nginx.conf").write_text(
        f"{user}\ndaemon off;\nworker_processes 1;\npid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
        "events { worker_connections 1024; }\n"
        f"http {{ access_log off; client_body_temp_path {tmp_path}/body;\n"
        f"  server {{ listen 127.0.0.1:{port}; keepalive_requests 1000000;\n"
        f"    location / {{ default_type application/json; return 200 '{_ANSWER}'; }} }} }}\n"
    )
    process = subprocess.Popen(
        [nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e", str(tmp_path / "error.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: _listening(port), what=f"nginx listening on {port}")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.kill()
        process.wait()


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def test_a_key_sending_one_request_at_a_time_across_busy_replicas_is_never_refused(
    keys, redis, start_relay, instant_upstream, tmp_path: Path
):
    # A call's settle reaches Redis before its answer reaches the client, so the next request,
    # wherever it lands, finds the slot free and the tokens refunded, however busy the replicas
    # are. Builds that left the settle to the limiter's next batch refused 6 to 14 of these 400.
    config = standard_config(instant_upstream, keys)
    config["redis_url"] = redis.url
    config["api_keys"][0]["limits"] = {"max_parallel": 1, "tpm": 100_000_000}
    config["backends"]["stub"]["max_concurrency"] = 256
    replicas = [start_relay(config), start_relay(config)]
    script = tmp_path / "other_key.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        'wrk.body = \'{"model":"chat-a","messages":[{"role":"user","content":"hi"}]}\'\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Bearer {keys.other}"\n'
    )
    loads = [
        subprocess.Popen(
            ["wrk", "-t1", "-c16", "-d60s", "-s", str(script), replica.url("/v1/chat/completions")],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        for replica in replicas
    ]
    try:
        time.sleep(0.5)
        # One kept-alive connection a replica, so each request follows the last at once.
        connections = [http.client.HTTPConnection("127.0.0.1", replica.port, timeout=10) for replica in replicas]
        body = json.dumps({"model": "chat-a", "messages": [{"role": "user", "content": "hi"}]})
        headers = {"Authorization": f"Bearer {keys.main}", "Content-Type": "application/json"}
        statuses = []
        for index in range(400):
            connection = connections[index % 2]
            connection.request("POST", "/v1/chat/completions", body, headers)
            response = connection.getresponse()
            response.read()
            statuses.append(response.status)
    finally:
        for load in loads:
            load.send_signal(signal.SIGINT)  # wrk stops and prints its summary
    for load in loads:
        summary = load.communicate(timeout=10)[0]
        served = re.search(r"(\d+) requests in", summary)
        assert served and int(served.group(1)) >= 2000 and "Non-2xx" not in summary, summary
    refused = [index for index, status in enumerate(statuses) if status != 200]
    assert refused == [], f"{len(refused)} of 400 refused: {[statuses[i] for i in refused[:5]]}"
