"""Token counts too large to add up, from a client or from an upstream, against the real binary.

Relay adds token counts (the limiter's estimate: prompt + max_tokens; an answer's usage:
prompt + completion). A count of 2^63-1 used to overflow that sum and stop the whole process:
one request from any key could take the gateway down. Found by the fuzz targets (Fuzz/).
"""

from __future__ import annotations

import http.server
import json
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Iterator

import pytest

from relay_process import key_hash, new_key

INT64_MAX = 9223372036854775807
#: What Relay keeps of a count at most (Usage.maxCount).
MAX_COUNT = 4294967295


class _HugeUsageUpstream(http.server.BaseHTTPRequestHandler):
    """An OpenAI-compatible upstream whose usage claims 2^63-1 prompt tokens."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        request = json.loads(self.rfile.read(int(self.headers["content-length"])))
        usage = {"prompt_tokens": INT64_MAX, "completion_tokens": 1, "total_tokens": INT64_MAX}
        answer = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1700000000, "model": request["model"]}
        choice = {"index": 0, "logprobs": None, "finish_reason": "stop"}
        if not request.get("stream"):
            body = json.dumps({**answer, "choices": [{**choice, "message": {"role": "assistant", "content": "hi"}}],
                               "usage": usage}).encode()
            self._head("application/json", len(body))
            self.wfile.write(body)
            return
        chunk = {**answer, "object": "chat.completion.chunk"}
        events = [{**chunk, "choices": [{**choice, "delta": {"role": "assistant", "content": "hi"}}]},
                  {**chunk, "choices": [], "usage": usage}]
        body = b"".join(b"data: " + json.dumps(event).encode() + b"\n\n" for event in events) + b"data: [DONE]\n\n"
        self._head("text/event-stream", len(body))
        self.wfile.write(body)

    def _head(self, content_type: str, length: int) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(length))
        self.end_headers()


@pytest.fixture
def huge_usage_upstream() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _HugeUsageUpstream)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def key() -> str:
    return new_key()


@pytest.fixture
def gateway(start_relay, huge_usage_upstream: str, key: str):
    return start_relay({
        "server": {"drain_delay_s": 0, "shutdown_grace_s": 5},
        "log": {"level": "info", "format": "json"},
        "backends": {"up": {"type": "vllm", "base_url": huge_usage_upstream, "health_path": None}},
        "models": {"m": {"backend": "up"}},
        "api_keys": [{"name": "k", "hash": key_hash(key), "scopes": ["*"], "limits": {"tpm": 1000000}}],
    })


@dataclass
class _Response:
    status_code: int
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


def _post(gateway, key: str, body: dict[str, Any]) -> _Response:
    request = urllib.request.Request(gateway.url("/v1/chat/completions"), data=json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return _Response(response.status, response.read().decode())
    except urllib.error.HTTPError as error:
        return _Response(error.code, error.read().decode())


@pytest.mark.parametrize("field", ["max_tokens", "max_completion_tokens"])
def test_a_token_budget_too_large_to_add_up_is_a_400(gateway, key: str, field: str) -> None:
    response = _post(gateway, key, {"model": "m", field: INT64_MAX, "messages": [{"role": "user", "content": "hi"}]})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == field
    assert error["message"] == f"{field} must be at most {MAX_COUNT}"
    assert gateway.process.poll() is None
    # Still serving.
    assert _post(gateway, key, {"model": "m", "messages": []}).status_code == 200


@pytest.mark.parametrize("stream", [False, True])
def test_an_upstream_claiming_2_63_tokens_does_not_stop_relay(gateway, key: str, stream: bool) -> None:
    body: dict[str, Any] = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": stream}
    if stream:
        body["stream_options"] = {"include_usage": True}
    response = _post(gateway, key, body)
    assert response.status_code == 200
    assert "hi" in response.text
    record = gateway.wait_for_record(lambda line: line.get("status") == 200 and "prompt_tokens" in line)
    assert record["prompt_tokens"] == MAX_COUNT
    assert gateway.process.poll() is None
    # The key's tpm window is full now; Relay still answers (a 429), it did not stop.
    assert _post(gateway, key, {"model": "m", "messages": []}).status_code == 429
