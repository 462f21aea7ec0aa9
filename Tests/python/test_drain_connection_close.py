"""Draining moves keep-alive clients away (docs/operations.md, "Draining and rolling restarts").

During `server.drain_delay_s` after SIGTERM Relay still answers, but every answer carries
`Connection: close` and the connection is closed once the answer has been sent, so a client or
load balancer holding a keep-alive connection opens its next one to a replica that is staying.
Seen on the wire with raw sockets: an HTTP client library would hide who closed the socket.

When the drain delay ends the listener closes, and a connection with no request in progress is
closed once it has been quiet for a second: a request already on its way (a balancer's POST sent
just before the listener closed) is answered, not dropped.
"""

from __future__ import annotations

import http.client
import json
import signal
import socket
import time

from relay_configs import standard_config
from relay_process import RelayProcess
import raw_http

DRAIN_DELAY_S = 4


def _send(sock: socket.socket, key: str, body: dict) -> http.client.HTTPResponse:
    """Writes one keep-alive chat completion on an open socket and reads its whole answer."""
    payload = json.dumps(body).encode()
    sock.sendall(
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: relay\r\nContent-Type: application/json\r\n"
        + f"Authorization: Bearer {key}\r\nContent-Length: {len(payload)}\r\n\r\n".encode()
        + payload
    )
    response = http.client.HTTPResponse(sock)
    response.begin()
    response.body = response.read()  # type: ignore[attr-defined]
    return response


def _closed_by_server(sock: socket.socket, within_s: float) -> bool:
    """True when the server has closed the connection (EOF or reset) within the time given."""
    sock.settimeout(within_s)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def _start_draining(relay: RelayProcess) -> float:
    relay.signal(signal.SIGTERM)
    started = time.monotonic()
    deadline = started + 3
    while raw_http.request("GET", relay.url("/readyz")).status != 503:
        assert time.monotonic() < deadline, "/readyz never turned 503 after SIGTERM"
        time.sleep(0.05)
    return started


CHAT = {"model": "chat-a", "messages": [{"role": "user", "content": "hello"}]}


def test_a_keep_alive_connection_is_closed_after_its_answer_once_draining(stub, keys, start_relay):
    relay = start_relay(standard_config(stub.base_url, keys, drain_delay_s=DRAIN_DELAY_S, shutdown_grace_s=5))
    with socket.create_connection(("127.0.0.1", relay.port), timeout=10) as sock:
        before = _send(sock, keys.main, CHAT)
        assert before.status == 200
        assert (before.getheader("connection") or "").lower() != "close"
        assert not _closed_by_server(sock, within_s=0.3), "a ready relay closed a keep-alive connection"

        started = _start_draining(relay)
        during = _send(sock, keys.main, CHAT)
        assert during.status == 200, during.body  # type: ignore[attr-defined]
        assert json.loads(during.body)["model"] == "chat-a"  # type: ignore[attr-defined]
        assert during.getheader("connection") == "close"
        assert _closed_by_server(sock, within_s=2), "the draining relay kept the connection open"
        # Closed because of the answer, not because the listener went away at the end of the drain.
        assert time.monotonic() - started < DRAIN_DELAY_S

    # New connections are still served until the drain delay ends, and told to go away too.
    fresh = raw_http.request("POST", relay.url("/v1/chat/completions"), json_body=CHAT,
                             headers={"Authorization": f"Bearer {keys.main}"})
    assert fresh.status == 200 and fresh.header("connection") == "close"
    assert relay.wait(timeout_s=20) == 0


def test_a_stream_started_while_draining_ends_whole_and_then_closes(stub, keys, start_relay):
    relay = start_relay(standard_config(stub.base_url, keys, drain_delay_s=DRAIN_DELAY_S, shutdown_grace_s=5))
    with socket.create_connection(("127.0.0.1", relay.port), timeout=10) as sock:
        assert _send(sock, keys.main, CHAT).status == 200
        _start_draining(relay)
        streamed = _send(sock, keys.main, {**CHAT, "stream": True})
        assert streamed.status == 200
        assert streamed.getheader("connection") == "close"
        assert streamed.body.rstrip().endswith(b"data: [DONE]")  # type: ignore[attr-defined]
        assert _closed_by_server(sock, within_s=2)
    assert relay.wait(timeout_s=20) == 0


def _wait_for_the_listener_to_close(relay: RelayProcess) -> None:
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", relay.port), timeout=1).close()
        except ConnectionRefusedError:
            return
        assert time.monotonic() < deadline, "the listener never closed"
        time.sleep(0.01)


def test_a_request_sent_as_the_listener_closes_is_answered(stub, keys, start_relay):
    relay = start_relay(standard_config(stub.base_url, keys, drain_delay_s=0.5, shutdown_grace_s=5))
    # A connection opened before the end of the drain, its request not sent yet when the
    # listener closes and every idle connection is told to close.
    with socket.create_connection(("127.0.0.1", relay.port), timeout=10) as sock:
        _start_draining(relay)
        _wait_for_the_listener_to_close(relay)
        time.sleep(0.2)  # well after the close was announced, well within the second of grace
        answer = _send(sock, keys.main, CHAT)
        assert answer.status == 200, answer.body  # type: ignore[attr-defined]
        assert answer.getheader("connection") == "close"
        assert _closed_by_server(sock, within_s=2)
    assert relay.wait(timeout_s=20) == 0


def test_an_idle_connection_is_closed_a_second_after_the_listener(stub, keys, start_relay):
    relay = start_relay(standard_config(stub.base_url, keys, drain_delay_s=0.5, shutdown_grace_s=5))
    with socket.create_connection(("127.0.0.1", relay.port), timeout=10) as sock:
        _start_draining(relay)
        _wait_for_the_listener_to_close(relay)
        closed_from = time.monotonic()
        assert _closed_by_server(sock, within_s=5), "an idle connection was kept open"
        assert 0.5 < time.monotonic() - closed_from < 3
    assert relay.wait(timeout_s=20) == 0
