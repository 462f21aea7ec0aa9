"""Bad input beyond test_hostile_input.py (issue #10.1): the rest of the fields Relay reads with
wrong types, bodies over the size limit however they are framed, and headers over limits.
Each gets a clear OpenAI-shaped 4xx (or, for a head too large to parse, a closed connection)
and reaches no upstream; the gateway keeps serving."""

from __future__ import annotations

import socket
import time

import pytest

import raw_http


def _post(relay, key: str, body: bytes, path: str = "/v1/chat/completions", **headers: str) -> raw_http.Response:
    return raw_http.request("POST", relay.url(path), body=body,
                            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json", **headers})


WRONG_TYPES = {
    "max_completion_tokens a string": (b'{"model":"chat-a","max_completion_tokens":"10","messages":[]}', "chat"),
    "max_tokens beyond any integer": (b'{"model":"chat-a","max_tokens":1e400,"messages":[]}', "chat"),
    "max_tokens 2^64": (b'{"model":"chat-a","max_tokens":18446744073709551616,"messages":[]}', "chat"),
    "include_usage a string": (b'{"model":"chat-a","stream":true,"stream_options":{"include_usage":"yes"}}', "chat"),
    "encoding_format a number": (b'{"model":"embed-a","input":"x","encoding_format":5}', "embeddings"),
    "duplicate stream": (b'{"model":"chat-a","stream":false,"stream":true,"messages":[]}', "chat"),
    "duplicate max_tokens": (b'{"model":"chat-a","max_tokens":1,"max_tokens":100000,"messages":[]}', "chat"),
}


@pytest.mark.parametrize("name", sorted(WRONG_TYPES))
def test_wrong_types_for_the_fields_relay_reads_are_400(relay, stub, keys, name):
    body, endpoint = WRONG_TYPES[name]
    path = "/v1/embeddings" if endpoint == "embeddings" else "/v1/chat/completions"
    response = _post(relay, keys.main, body, path)
    assert response.status == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["message"]
    assert stub.api_requests() == []


def test_a_lone_surrogate_in_model_is_an_unknown_model(relay, stub, keys):
    response = _post(relay, keys.main, b'{"model":"chat-\\ud800a","messages":[]}')
    assert response.status == 404 and response.json()["error"]["code"] == "model_not_found"
    assert stub.api_requests() == []


def test_a_chunked_body_over_the_limit_is_413_while_reading(stub, keys, start_relay):
    from relay_configs import standard_config

    relay = start_relay(standard_config(stub.base_url, keys, max_body_bytes=4096))
    with socket.create_connection(("127.0.0.1", relay.port), timeout=10) as sock:
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: relay\r\nContent-Type: application/json\r\n"
                     + f"Authorization: Bearer {keys.main}\r\nTransfer-Encoding: chunked\r\n\r\n".encode())
        chunk = b'{"model":"chat-a","messages":[{"role":"user","content":"' + b"a" * 8000 + b'"}]}'
        try:
            sock.sendall(b"%x\r\n%s\r\n0\r\n\r\n" % (len(chunk), chunk))
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = _read_response(sock)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b'"code":"request_too_large"' in answer
    assert stub.api_requests() == []


@pytest.mark.parametrize("shape", ["one 100 KB header", "5000 headers"])
def test_a_head_over_the_limits_is_refused_and_the_gateway_keeps_serving(relay, stub, keys, shape):
    if shape == "one 100 KB header":
        extra = b"X-Big: " + b"a" * 100_000 + b"\r\n"
    else:
        extra = b"".join(b"X-H%d: v\r\n" % i for i in range(5000))
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", relay.port), timeout=10) as sock:
        try:
            sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: relay\r\n"
                         + f"Authorization: Bearer {keys.main}\r\n".encode() + extra
                         + b"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = _read_response(sock)
    # Either a 4xx status line or the connection closed without one; never a request served.
    assert answer == b"" or answer[9:10] == b"4", answer[:200]
    assert time.monotonic() - started < 5
    assert stub.api_requests() == []
    assert raw_http.request("GET", relay.url("/healthz")).status == 200


def _read_response(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection or goes quiet for 2 s."""
    sock.settimeout(2)
    received = b""
    while True:
        try:
            data = sock.recv(65536)
        except socket.timeout:
            return received
        except ConnectionResetError:
            return received
        if not data:
            return received
        received += data
