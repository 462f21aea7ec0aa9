"""Shutdown and slow clients, seen from outside the running binary (SPEC §1, §2 `server.*`)."""

from __future__ import annotations

import http.client
import signal
import socket
import threading
import time
from pathlib import Path

from relay_configs import standard_config
from relay_process import RelayProcess
import raw_http


def _stream_request(relay: RelayProcess, key: str, chunk_delay_ms: int) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", relay.port, timeout=30)
    connection.request(
        "POST",
        "/v1/chat/completions",
        body=b'{"model":"chat-a","stream":true,"messages":[{"role":"user","content":"one two three four"}]}',
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json",
                 "x-stub-chunk-delay-ms": str(chunk_delay_ms)},
    )
    return connection.getresponse()


def test_sigterm_drains_then_lets_streams_in_flight_finish(stub, keys, start_relay):
    relay = start_relay(standard_config(stub.base_url, keys, drain_delay_s=1, shutdown_grace_s=20))
    response = _stream_request(relay, keys.main, chunk_delay_ms=300)
    assert response.status == 200
    first = response.read1()
    assert first.startswith(b"data: ")

    relay.signal(signal.SIGTERM)
    time.sleep(0.3)
    # Draining: not ready any more, but still accepting for drain_delay_s.
    assert raw_http.request("GET", relay.url("/readyz")).status == 503
    assert raw_http.request("GET", relay.url("/healthz")).status == 200

    rest = response.read()
    assert (first + rest).rstrip().endswith(b"data: [DONE]")
    assert relay.wait(timeout_s=20) == 0
    line = relay.wait_for_record(lambda record: record.get("msg") == "request" and record.get("stream") is True)
    assert line["status"] == 200 and "error" not in line


def test_a_priority_given_to_the_process_reaches_the_threads_that_serve(stub, keys, start_relay):
    """`nice relay serve` (systemd's `Nice=`) must lower or raise the event loops too, not only the
    main thread: they do the work. Threads inherit the priority of the thread that starts them.
    This tells most with the release build (`RELAY_BIN`): the debug build starts its loops on the
    main thread anyway, when it makes them Swift concurrency's executor."""
    relay = start_relay(standard_config(stub.base_url, keys), nice=7)
    assert raw_http.request("GET", relay.url("/readyz")).status == 200
    priorities: dict[str, int] = {}
    for task in Path(f"/proc/{relay.process.pid}/task").iterdir():
        stat = (task / "stat").read_text()
        # Field 19 is the nice value; the command name before it may hold spaces, so split after it.
        priorities[f"{(task / 'comm').read_text().strip()} ({task.name})"] = int(stat.rsplit(")", 1)[1].split()[16])
    loops = {name: nice for name, nice in priorities.items() if name.startswith("NIO-")}
    assert loops, f"no event loop threads among {sorted(priorities)}"
    assert set(loops.values()) == {7}, loops


def test_a_client_trickling_its_headers_is_cut_off(stub, keys, start_relay):
    relay = start_relay(standard_config(stub.base_url, keys, header_timeout_s=1))
    with socket.create_connection(("127.0.0.1", relay.port), timeout=10) as sock:
        started = time.monotonic()
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: relay\r\n")
        closed = _trickle_until_closed(sock, b"X-Slow: " + b"a" * 100)
        assert closed, "relay kept a connection whose headers never finished"
        assert time.monotonic() - started < 5


def test_a_client_trickling_its_body_is_cut_off(stub, keys, start_relay):
    relay = start_relay(standard_config(stub.base_url, keys, body_timeout_s=1, header_timeout_s=5))
    with socket.create_connection(("127.0.0.1", relay.port), timeout=10) as sock:
        started = time.monotonic()
        sock.sendall(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: relay\r\nContent-Type: application/json\r\n"
            + f"Authorization: Bearer {keys.main}\r\nContent-Length: 200\r\n\r\n".encode()
        )
        closed = _trickle_until_closed(sock, b'{"model":"chat-a","messages":[' + b" " * 150)
        assert closed, "relay kept a connection whose body never finished"
        assert time.monotonic() - started < 5
    # The server is still healthy for everybody else.
    assert raw_http.request("GET", relay.url("/healthz")).status == 200


def _trickle_until_closed(sock: socket.socket, payload: bytes) -> bool:
    """Sends one byte every 0.2 s; True once the server has closed the connection."""
    sock.settimeout(0.2)
    for byte in payload:
        try:
            sock.sendall(bytes([byte]))
            if sock.recv(4096) == b"":
                return True
        except socket.timeout:
            continue
        except (BrokenPipeError, ConnectionResetError):
            return True
    return False
