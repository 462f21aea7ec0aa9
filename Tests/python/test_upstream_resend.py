"""A request lost on a reused upstream connection is sent again only if no byte of an answer came.

Relay resends a request when a kept-alive connection turns out closed as it is reused (the backend
closed it while idle): the backend never saw the request. Once any byte of an answer has arrived,
the backend took the request, and sending it again could run it twice (a second generation, a
second charge upstream). Here a raw-socket backend answers the first request on each connection
properly and keep-alive, and the second one on a connection with bytes that are not an answer:
that request must reach it exactly once, and the client gets a 502.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
import uuid
from typing import Any, Callable

import pytest

from relay_process import RelayProcess, key_hash, new_key


class GarbageOnReuse:
    """A loopback HTTP/1.1 backend: request 0 on a connection gets a chat completion (keep-alive),
    request 1 gets `garbage` as its answer (then the socket is closed if `close_after`)."""

    def __init__(self, garbage: bytes, close_after: bool):
        self.garbage = garbage
        self.close_after = close_after
        self.bodies: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._sockets: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, name="garbage-on-reuse", daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def __enter__(self) -> "GarbageOnReuse":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                sock.close()

    def contents(self) -> list[str]:
        """The user message of every request received, in order."""
        with self._lock:
            return [body["messages"][0]["content"] for body in self.bodies]

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self._sockets.append(sock)
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        reader = sock.makefile("rb")
        try:
            for index in range(2):
                body = _read_request(reader)
                if body is None:
                    return
                with self._lock:
                    self.bodies.append(body)
                if index == 0:
                    sock.sendall(_completion(body["model"]))
                else:
                    sock.sendall(self.garbage)
                    if self.close_after:
                        sock.shutdown(socket.SHUT_RDWR)
            # Nothing more is answered; Relay closes a connection that sent bytes it cannot read.
            while reader.read(4096):
                pass
        except OSError:
            pass
        finally:
            sock.close()


def _read_request(reader: Any) -> dict[str, Any] | None:
    """One request's JSON body, or None when the peer closed the connection."""
    length = None
    line = reader.readline()
    if not line:
        return None
    while (line := reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    assert length is not None, "Relay sent a request without Content-Length"
    return json.loads(reader.read(length))


def _completion(model: str) -> bytes:
    body = json.dumps({
        "id": "chatcmpl-1", "object": "chat.completion", "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
    }).encode()
    head = f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
    return head.encode() + body


@pytest.mark.parametrize(
    ("garbage", "close_after"),
    [(b"garbage\r\n\r\n", False), (b"HTTP/1.1 2", True), (b"HTTP/1.1 200 OK\r\nx-bad : 1\r\n\r\n", False)],
    ids=["not-http", "cut-head-then-close", "malformed-field"],
)
def test_a_reused_connection_answering_garbage_is_not_sent_again(
    garbage: bytes, close_after: bool, start_relay: Callable[..., RelayProcess]
) -> None:
    key = new_key()
    with GarbageOnReuse(garbage, close_after) as upstream:
        relay = start_relay({
            "server": {"drain_delay_s": 0, "shutdown_grace_s": 1},
            "backends": {"raw": {"type": "vllm", "base_url": upstream.base_url, "health_path": None,
                                 "request_timeout_s": 5, "circuit": {"failures": 100, "cooldown_s": 1}}},
            "models": {"chat": {"backend": "raw", "upstream_model": "raw-1"}},
            "api_keys": [{"name": "resend", "hash": key_hash(key), "scopes": ["*"]}],
        })
        # One client connection: both requests are handled where the first one's upstream
        # connection is kept, so the second reuses it.
        client = http.client.HTTPConnection("127.0.0.1", relay.port, timeout=20)
        answers = []
        request_ids = []
        try:
            for content in ("first", "second"):
                request_ids.append(str(uuid.uuid4()))
                client.request("POST", "/v1/chat/completions",
                               body=json.dumps({"model": "chat", "messages": [{"role": "user", "content": content}]}),
                               headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json",
                                        "x-request-id": request_ids[-1]})
                response = client.getresponse()
                answers.append((response.status, json.loads(response.read())))
        finally:
            client.close()

        assert answers[0][0] == 200, answers[0]
        assert answers[1][0] == 502, answers[1]
        assert answers[1][1]["error"]["code"] == "upstream_error"
        assert upstream.contents().count("second") == 1, upstream.contents()
        assert upstream.contents() == ["first", "second"]
        line = relay.wait_for_access_line(request_ids[1])
        assert line["status"] == 502 and line["attempts"] == 1
