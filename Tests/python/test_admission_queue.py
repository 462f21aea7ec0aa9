"""The wait queue of a busy model (SPEC §9), through the binary: woken in order the moment a
slot frees, higher priority first, bounded in time and length, and a client that leaves gives
its place back."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from typing import Any

from relay_configs import UPSTREAM_API_KEY
from relay_process import key_hash, new_key
from scrape import sample
from waiting import wait_until


def _config(stub_url: str, keys: dict[str, tuple[str, int]], **model: Any) -> dict[str, Any]:
    return {
        "server": {"drain_delay_s": 0, "shutdown_grace_s": 5},
        "log": {"level": "info", "format": "json"},
        "backends": {"stub": {"type": "vllm", "base_url": stub_url, "api_key": UPSTREAM_API_KEY,
                              "health_path": None, "max_concurrency": 1,
                              "circuit": {"failures": 1000, "cooldown_s": 1}}},
        "models": {"chat": {"backend": "stub", "upstream_model": "stub-chat-1", **model}},
        "api_keys": [{"name": name, "hash": key_hash(key), "scopes": ["*"], "priority": priority}
                     for name, (key, priority) in keys.items()],
    }


def _post(port: int, key: str, content: str, delay_ms: int = 0, results: list | None = None) -> tuple[int, dict, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    if delay_ms:
        headers["x-stub-delay-ms"] = str(delay_ms)
    connection.request("POST", "/v1/chat/completions", headers=headers, body=json.dumps(
        {"model": "chat", "messages": [{"role": "user", "content": content}]}).encode())
    response = connection.getresponse()
    answer = (response.status, {k.lower(): v for k, v in response.getheaders()}, json.loads(response.read()))
    connection.close()
    if results is not None:
        results.append((content, answer))
    return answer


def _queue_depth(port: int) -> float:
    return sample(port, "relay_queue_depth", model="chat")


def _served_order(stub) -> list[str]:
    return [request.json["messages"][0]["content"] for request in stub.api_requests()]


def _hold_the_slot(relay, stub, key: str, content: str, delay_ms: int,
                   results: list | None = None) -> threading.Thread:
    """A request that takes the one slot and keeps it `delay_ms`; returns once it holds it."""
    thread = threading.Thread(target=_post, args=(relay.port, key, content, delay_ms, results))
    thread.start()
    wait_until(lambda: len(stub.api_requests()) == 1, what=f"{content} to hold the slot")
    return thread


def _send_in_order(port: int, sends: list[tuple[str, str]], results: list) -> list[threading.Thread]:
    """Sends each request once the one before it is queued (the slot is held already)."""
    threads = []
    for depth, (key, content) in enumerate(sends, start=1):
        thread = threading.Thread(target=_post, args=(port, key, content, 100, results))
        thread.start()
        threads.append(thread)
        wait_until(lambda: _queue_depth(port) == depth, what=f"{content} to be queued")
    return threads


def test_waiters_are_served_in_arrival_order(stub, start_relay):
    key = new_key()
    relay = start_relay(_config(stub.base_url, {"app": (key, 0)}, queue_timeout_s=20))
    results: list = []
    # The first holds the slot long enough for the others to queue behind it one by one.
    threads = [_hold_the_slot(relay, stub, key, "r0", 3000, results)]
    threads += _send_in_order(relay.port, [(key, f"r{n}") for n in range(1, 6)], results)
    for thread in threads:
        thread.join()
    assert [status for _, (status, _, _) in results] == [200] * 6
    assert _served_order(stub) == ["r0", "r1", "r2", "r3", "r4", "r5"]
    assert _queue_depth(relay.port) == 0


def test_a_higher_priority_is_served_before_lower_ones_queued_earlier(stub, start_relay):
    low, high = new_key(), new_key()
    relay = start_relay(_config(stub.base_url, {"batch": (low, 0), "interactive": (high, 5)}, queue_timeout_s=20))
    results: list = []
    first = _hold_the_slot(relay, stub, low, "low-0", 3000, results)
    threads = _send_in_order(relay.port, [(low, "low-1"), (low, "low-2"), (high, "high")], results)
    for thread in [first, *threads]:
        thread.join()
    assert _served_order(stub) == ["low-0", "high", "low-1", "low-2"]


def test_the_queue_timeout_answers_503_with_retry_after(stub, start_relay):
    key = new_key()
    relay = start_relay(_config(stub.base_url, {"app": (key, 0)}, queue_timeout_s=0.5))
    holder = _hold_the_slot(relay, stub, key, "holder", 2000)
    started = time.monotonic()
    status, headers, body = _post(relay.port, key, "waiter")
    waited = time.monotonic() - started
    holder.join()
    assert status == 503, body
    assert body["error"]["code"] == "upstream_unavailable"
    assert headers["retry-after"] == "1"
    assert 0.4 < waited < 1.9
    assert _served_order(stub) == ["holder"]


def test_past_max_queue_a_request_is_refused_at_once(stub, start_relay):
    key = new_key()
    relay = start_relay(_config(stub.base_url, {"app": (key, 0)}, queue_timeout_s=20, max_queue=1))
    results: list = []
    threads = [_hold_the_slot(relay, stub, key, "holder", 1500, results)]
    threads += _send_in_order(relay.port, [(key, "queued")], results)
    started = time.monotonic()
    status, _, body = _post(relay.port, key, "refused")
    assert status == 503 and body["error"]["code"] == "upstream_unavailable"
    assert "max_queue" in body["error"]["message"]
    assert time.monotonic() - started < 1.0
    for thread in threads:
        thread.join()
    assert _served_order(stub) == ["holder", "queued"]


def test_a_client_that_leaves_while_queued_frees_its_place(stub, start_relay):
    key = new_key()
    relay = start_relay(_config(stub.base_url, {"app": (key, 0)}, queue_timeout_s=20))
    holder = _hold_the_slot(relay, stub, key, "holder", 1500)
    leaving = socket.create_connection(("127.0.0.1", relay.port))
    body = json.dumps({"model": "chat", "messages": [{"role": "user", "content": "leaver"}]}).encode()
    leaving.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: relay\r\nAuthorization: Bearer " + key.encode()
                    + b"\r\nContent-Type: application/json\r\nx-request-id: leaver\r\nContent-Length: "
                    + str(len(body)).encode() + b"\r\n\r\n" + body)
    wait_until(lambda: _queue_depth(relay.port) == 1, what="the leaver to be queued")
    leaving.close()
    wait_until(lambda: _queue_depth(relay.port) == 0, timeout_s=1.0, what="the leaver's place to be freed")
    line = relay.wait_for_access_line("leaver")
    assert line["error"]
    holder.join()
    status, _, _ = _post(relay.port, key, "after")
    assert status == 200
    assert _served_order(stub) == ["holder", "after"]
