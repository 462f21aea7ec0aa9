"""How a call ends, through the binary: what it held is given back once, whatever ends it.

- a stream whose upstream reports an error inside it ends with Relay's error event, the
  upstream model's name hidden, and no ``[DONE]``;
- a client that stops reading a stream is cut off after ``server.write_timeout_s``, and the
  call's slot and reservations are given back;
- a non-streamed 200 that is not an answer gives its slot back once (the backend's cap holds);
- a circuit's probe that ends with no outcome gives the probe back;
- a key's ``max_parallel`` bounds the bodies it has arriving at once;
- a model outside the key's scopes is answered as a missing one.
"""

from __future__ import annotations

import http.client
import json
import select
import socket
import threading
import time
from typing import Any

import pytest

from relay_configs import UPSTREAM_API_KEY
from relay_process import key_hash, new_key
from scrape import sample
from waiting import wait_until


def _backend(url: str, **extra: Any) -> dict[str, Any]:
    return {"type": "vllm", "base_url": url, "api_key": UPSTREAM_API_KEY, "health_path": None,
            "circuit": {"failures": 1000, "cooldown_s": 1}, **extra}


def _config(stub_url: str, key: str, *, backend: dict[str, Any] | None = None, limits: dict[str, Any] | None = None,
            models: dict[str, Any] | None = None, **server: Any) -> dict[str, Any]:
    models = models or {
        "chat": {"backend": "stub", "upstream_model": "stub-chat-1"},
        "errors-later": {"backend": "stub", "upstream_model": "error-after-2"},
        "not-json": {"backend": "stub", "upstream_model": "bad-json"},
        "hidden": {"backend": "stub", "upstream_model": "stub-chat-1"},
    }
    # Every model but "hidden".
    scopes = [name for name in models if name != "hidden"]
    entry: dict[str, Any] = {"name": "lifecycle", "hash": key_hash(key), "scopes": scopes}
    if limits:
        entry["limits"] = limits
    return {
        "server": {"drain_delay_s": 0, "shutdown_grace_s": 5, **server},
        "log": {"level": "info", "format": "json"},
        "backends": {"stub": backend or _backend(stub_url)},
        "models": models,
        "api_keys": [entry],
    }


def _post(port: int, key: str, body: dict[str, Any], **headers: str) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST", "/v1/chat/completions", body=json.dumps(body).encode(),
                           headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json", **headers})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def _in_flight(port: int, backend: str = "stub") -> float:
    return sample(port, "relay_backend_in_flight", backend=backend)


def test_an_error_event_inside_a_stream_ends_it_without_done_and_hides_the_upstream_model(stub, start_relay):
    key = new_key()
    relay = start_relay(_config(stub.base_url, key))
    status, headers, body = _post(relay.port, key, {"model": "errors-later", "stream": True,
                                                    "messages": [{"role": "user", "content": "hi"}]},
                                  **{"x-request-id": "error-inside-stream"})
    assert status == 200
    events = [event for event in body.decode().split("\n\n") if event.strip()]
    assert events[-1] != "data: [DONE]", events[-3:]
    assert "[DONE]" not in body.decode()
    last = json.loads(events[-1].removeprefix("data: "))
    assert "error" in last, last
    assert "errors-later" in last["error"]["message"]
    assert "error-after-2" not in body.decode().lower()
    line = relay.wait_for_access_line("error-inside-stream")
    assert line["status"] == 200 and "error event" in line["error"]
    assert _in_flight(relay.port) == 0


def _stalled_stream(port: int, key: str, words: int, request_id: str) -> socket.socket:
    """A streamed request from a client that then reads nothing (a tiny receive buffer)."""
    stalled = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.connect(("127.0.0.1", port))
    # The stub answers by echoing the prompt a word an event.
    body = json.dumps({"model": "chat", "stream": True, "max_tokens": words + 10,
                       "messages": [{"role": "user", "content": " ".join(["word"] * words)}]}).encode()
    stalled.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: relay\r\nAuthorization: Bearer " + key.encode()
                    + b"\r\nContent-Type: application/json\r\nx-request-id: " + request_id.encode()
                    + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    return stalled


def test_a_client_that_stops_reading_is_cut_off_after_the_write_timeout(stub, start_relay):
    """An answer too long to fit the buffers on the way: the backend waits for Relay, which
    waits for the client. After write_timeout_s without progress the client is cut off, and
    the call ends: its slot back, its one access line written."""
    key = new_key()
    relay = start_relay(_config(stub.base_url, key, backend=_backend(stub.base_url, max_concurrency=1),
                                write_timeout_s=2))
    stalled = _stalled_stream(relay.port, key, 30_000, "cut-off-reader")
    try:
        line = relay.wait_for_access_line("cut-off-reader", timeout_s=20)
        assert line["status"] == 200 and line["error"] == "client disconnected"
        assert _in_flight(relay.port) == 0
        status, _, _ = _post(relay.port, key, {"model": "chat", "messages": [{"role": "user", "content": "next"}]})
        assert status == 200
    finally:
        stalled.close()


def test_a_200_that_is_not_an_answer_gives_its_slot_back_once(stub, start_relay):
    key = new_key()
    # No queue: a request finding the one slot taken is refused at once.
    models = {"chat": {"backend": "stub", "upstream_model": "stub-chat-1", "queue_timeout_s": 0},
              "not-json": {"backend": "stub", "upstream_model": "bad-json"}}
    relay = start_relay(_config(stub.base_url, key, backend=_backend(stub.base_url, max_concurrency=1),
                                models=models))
    for _ in range(3):
        status, _, _ = _post(relay.port, key, {"model": "not-json", "messages": [{"role": "user", "content": "x"}]})
        assert status == 502
    assert _in_flight(relay.port) == 0
    # The cap still holds: with one slot taken by a slow request, another is refused.
    stub_requests_before = len(stub.api_requests())

    slow = threading.Thread(target=_post, args=(relay.port, key, {"model": "chat", "messages": [
        {"role": "user", "content": "slow"}]}), kwargs={"x-stub-delay-ms": "1500"})
    slow.start()
    wait_until(lambda: _in_flight(relay.port) == 1, what="the slow request's slot")
    status, _, body = _post(relay.port, key, {"model": "chat", "messages": [{"role": "user", "content": "x"}]})
    slow.join()
    assert status == 503, body
    assert len(stub.api_requests()) == stub_requests_before + 1


def test_a_probe_that_ends_without_an_outcome_gives_the_probe_back(stub, start_relay):
    """A circuit opened by a failure; the probe after the cooldown is a request whose client
    leaves before any answer. The next request must probe (and close the circuit), not be
    refused for a probe nobody will ever finish."""
    key = new_key()
    backend = _backend(stub.base_url, circuit={"failures": 1, "cooldown_s": 1})
    relay = start_relay(_config(stub.base_url, key, backend=backend))
    status, _, _ = _post(relay.port, key, {"model": "chat", "messages": [{"role": "user", "content": "x"}]},
                         **{"x-stub-status": "500"})
    assert status == 502
    time.sleep(1.2)
    # The probe: its client leaves while the backend is still thinking.
    leaving = socket.create_connection(("127.0.0.1", relay.port))
    body = json.dumps({"model": "chat", "messages": [{"role": "user", "content": "probe"}]}).encode()
    leaving.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: relay\r\nAuthorization: Bearer " + key.encode()
                    + b"\r\nContent-Type: application/json\r\nx-stub-delay-ms: 3000\r\nContent-Length: "
                    + str(len(body)).encode() + b"\r\n\r\n" + body)
    wait_until(lambda: any(r.json and r.json.get("messages", [{}])[0].get("content") == "probe"
                            for r in stub.api_requests()), what="the probe to reach the stub")
    leaving.close()
    wait_until(lambda: _in_flight(relay.port) == 0, what="the probe's slot to come back")
    status, _, body = _post(relay.port, key, {"model": "chat", "messages": [{"role": "user", "content": "after"}]})
    assert status == 200, body


def _post_in_two_parts(port: int, key: str) -> tuple[int, dict[str, str], bytes]:
    """A request whose body arrives after its head, as a large one does: a body that arrives
    with its head is read whole at once and holds no place."""
    body = json.dumps({"model": "chat", "messages": [{"role": "user", "content": "x"}]}).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: relay\r\nAuthorization: Bearer " + key.encode()
                     + b"\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: "
                     + str(len(body)).encode() + b"\r\n\r\n" + body[:10])
        time.sleep(0.3)
        sock.sendall(body[10:])
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()


def test_max_parallel_bounds_the_bodies_a_key_has_arriving(stub, start_relay):
    key = new_key()
    relay = start_relay(_config(stub.base_url, key, limits={"max_parallel": 1}))

    def trickle() -> socket.socket:
        """A body announced, then trickled: it holds the key's one place while it arrives."""
        sock = socket.create_connection(("127.0.0.1", relay.port))
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: relay\r\nAuthorization: Bearer " + key.encode()
                     + b"\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"model\":")
        return sock

    slow = [trickle()]
    answers = []

    def second_body_refused() -> bool:
        answers.append(_post_in_two_parts(relay.port, key))
        if answers[-1][0] == 429:
            return True
        # Read before the trickling one, the second took the place and the trickling one was
        # refused: it tries again.
        if select.select([slow[0]], [], [], 0)[0]:
            slow[0].close()
            slow[0] = trickle()
        return False

    try:
        wait_until(second_body_refused, what="a second body of the key's to be refused")
        status, headers, body = answers[-1]
        assert json.loads(body)["error"]["code"] == "rate_limit_exceeded"
        assert headers["retry-after"] == "1"
    finally:
        slow[0].close()
    # Once the trickling client is gone, the key's place is free again.
    wait_until(lambda: _post_in_two_parts(relay.port, key)[0] == 200, what="the key's body place to come back")


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/models/hidden"])
def test_a_model_outside_the_keys_scopes_is_answered_as_missing(stub, start_relay, path):
    key = new_key()
    relay = start_relay(_config(stub.base_url, key))
    connection = http.client.HTTPConnection("127.0.0.1", relay.port, timeout=10)
    auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    answers = []
    for model in ("hidden", "no-such-model"):
        if path.startswith("/v1/models/"):
            connection.request("GET", f"/v1/models/{model}", headers=auth)
        else:
            connection.request("POST", path, headers=auth, body=json.dumps(
                {"model": model, "messages": [{"role": "user", "content": "x"}]}).encode())
        response = connection.getresponse()
        error = json.loads(response.read())["error"]
        answers.append((response.status, error["type"], error["code"], error["message"].replace(model, "M")))
    connection.close()
    assert answers[0] == answers[1]
    assert answers[0][:3] == (404, "invalid_request_error", "model_not_found")
