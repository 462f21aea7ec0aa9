"""HTTP/1.1 framing through the binary, with raw sockets (issue #25.5, #25.6): a request with no
`Host` or two gets a 400 (RFC 9112 §3.2; HTTP/1.0 may omit it), a head with bare LF line endings
gets its 400 at once instead of waiting for the header deadline, `HEAD /healthz` and
`HEAD /readyz` answer as GET does without the body, and every 400 for bytes that are not
HTTP/1.1 writes one access line."""

from __future__ import annotations

import json
import socket

import pytest

from relay_configs import standard_config


def _exchange(relay, raw: bytes, timeout_s: float = 15.0) -> bytes:
    """Sends `raw` on a new connection and reads until Relay closes it."""
    with socket.create_connection(("127.0.0.1", relay.port), timeout=timeout_s) as sock:
        sock.sendall(raw)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
        return received


def _split(answer: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    fields = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip()
    return int(lines[0].split(" ")[1]), fields, body


@pytest.fixture
def patient_relay(stub, keys, start_relay):
    """A relay whose header deadline is far longer than any read in these tests: an answer
    that comes is the parser's, never the deadline's."""
    return start_relay(standard_config(stub.base_url, keys, header_timeout_s=300))


UNPARSABLE = {
    "no host": b"GET /healthz HTTP/1.1\r\n\r\n",
    "two hosts": b"GET /healthz HTTP/1.1\r\nHost: relay\r\nHost: other\r\n\r\n",
    "two hosts in http/1.0": b"GET /healthz HTTP/1.0\r\nHost: relay\r\nHost: relay\r\n\r\n",
    "bare lf head": b"GET /healthz HTTP/1.1\nHost: relay\n\n",
    "bare lf after a crlf line": b"GET /healthz HTTP/1.1\r\nHost: relay\nx-a: b\n\n",
    "not http": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 garbage\r\n\r\n",
}


@pytest.mark.parametrize("name", sorted(UNPARSABLE))
def test_bytes_that_are_not_http_1_1_get_a_400_and_one_access_line(patient_relay, name):
    before = len([line for line in patient_relay.access_lines() if line["status"] == 400])
    status, fields, body = _split(_exchange(patient_relay, UNPARSABLE[name]))
    assert status == 400
    assert fields["connection"] == "close"
    error = json.loads(body)["error"]
    assert error["type"] == "invalid_request_error"
    assert error["message"].startswith("The request is not valid HTTP/1.1")
    line = patient_relay.wait_for_record(
        lambda r: r.get("msg") == "request" and r.get("status") == 400
        and r.get("error", "").startswith("The request is not valid HTTP/1.1"))
    assert line["client_ip"] == "127.0.0.1" and line["request_id"]
    lines = [line for line in patient_relay.access_lines() if line["status"] == 400]
    assert len(lines) == before + 1, lines


def test_the_reason_is_told(patient_relay):
    _, _, body = _split(_exchange(patient_relay, UNPARSABLE["two hosts"]))
    assert "Host" in json.loads(body)["error"]["message"]
    _, _, body = _split(_exchange(patient_relay, UNPARSABLE["bare lf head"]))
    assert "bare LF" in json.loads(body)["error"]["message"]


def test_http_1_0_without_host_is_still_served(relay):
    status, _, body = _split(_exchange(relay, b"GET /healthz HTTP/1.0\r\n\r\n"))
    assert status == 200 and json.loads(body) == {"status": "ok"}


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_head_answers_like_get_without_the_body(relay, path):
    get_status, get_fields, get_body = _split(
        _exchange(relay, f"GET {path} HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n".encode()))
    head_answer = _exchange(relay, f"HEAD {path} HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n".encode())
    head_status, head_fields, head_body = _split(head_answer)
    assert get_status == head_status == 200
    assert head_body == b"" and len(get_body) > 0
    assert head_fields["content-type"] == get_fields["content-type"] == "application/json"
    assert int(head_fields["content-length"]) == len(get_body)
