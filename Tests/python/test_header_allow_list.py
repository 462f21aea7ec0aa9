"""Headers cross Relay by an allow-list each way (issue #25.6, docs/security.md "Headers that
cross Relay"): the backend sees only the client headers Relay lists (and Relay's own), the
client sees only the backend fields Relay lists (and Relay's own)."""

from __future__ import annotations

import json
import uuid

import pytest

import raw_http

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

ALLOWED_CLIENT_HEADERS = {
    "Accept": "application/json",
    "User-Agent": "OpenAI/Python 1.99.0",
    "OpenAI-Beta": "assistants=v2",
    "anthropic-version": "2023-06-01",
    "anthropic-beta": "tools-2024-04-04",
    "X-Stainless-Lang": "python",
    "X-Stainless-Retry-Count": "0",
    "tracestate": "vendor=abc",
}

FORBIDDEN_CLIENT_HEADERS = {
    "Cookie": "session=client-cookie",
    "Content-Encoding": "identity",
    "X-Forwarded-For": "203.0.113.9",
    "X-Forwarded-Host": "evil.example",
    "Forwarded": "for=203.0.113.9",
    "X-Real-IP": "203.0.113.9",
    "content_length": "5",
    "transfer_encoding": "chunked",
    "Proxy-Authorization": "Basic Zm9vOmJhcg==",
    "X-Api-Key": "client-secret",
    "OpenAI-Organization": "org-client",
    "X-Custom-Thing": "not listed",
    "Keep-Alive": "timeout=5",
    "Upgrade": "websocket",
}


def _chat(relay, key: str, headers: dict[str, str], model: str = "chat-a", stream: bool = False):
    body = {"model": model, "messages": [{"role": "user", "content": "hi"}], "stream": stream}
    return raw_http.request("POST", relay.url("/v1/chat/completions"), json_body=body,
                            headers={"Authorization": f"Bearer {key}", **headers})


def test_the_backend_gets_only_the_listed_client_headers_and_relays_own(relay, stub, keys):
    request_id = str(uuid.uuid4())
    headers = {**ALLOWED_CLIENT_HEADERS, **FORBIDDEN_CLIENT_HEADERS, "traceparent": TRACEPARENT,
               "x-request-id": request_id}
    response = _chat(relay, keys.main, headers)
    assert response.status == 200, response.text
    upstream = stub.last_api_request
    for name, value in ALLOWED_CLIENT_HEADERS.items():
        assert upstream.header_values(name) == [value], name
    for name in FORBIDDEN_CLIENT_HEADERS:
        assert upstream.header(name) is None, f"{name} reached the backend"
    assert upstream.header_values("authorization") == ["Bearer upstream-secret"]
    assert upstream.header_values("content-type") == ["application/json"]
    assert upstream.header_values("x-request-id") == [request_id]
    assert upstream.header("traceparent").split("-")[1] == TRACEPARENT.split("-")[1]
    assert upstream.header_values("content-length") == [str(len(upstream.body))]
    assert "client-secret" not in json.dumps(upstream.headers)


def test_names_the_clients_connection_lists_stay_behind(relay, stub, keys):
    response = _chat(relay, keys.main, {"Connection": "keep-alive, User-Agent, X-Stainless-Os",
                                        "User-Agent": "hop-only", "X-Stainless-Os": "Linux",
                                        "Accept": "application/json"})
    assert response.status == 200, response.text
    upstream = stub.last_api_request
    assert upstream.header("x-stainless-os") is None
    assert upstream.header("user-agent") != "hop-only"
    assert upstream.header("connection") in (None, "keep-alive")
    assert upstream.header("accept") == "application/json"


FORBIDDEN_BACKEND_FIELDS = [
    ["WWW-Authenticate", 'Bearer realm="backend"'],
    ["Proxy-Authenticate", "Basic realm=internal"],
    ["Location", "http://10.0.0.5:8000/v1/elsewhere"],
    ["Content-Encoding", "identity"],
    ["Set-Cookie", "backend=1; path=/"],
    ["x-ratelimit-limit-requests", "77777"],
    ["x-ratelimit-remaining-tokens", "66666"],
    ["Keep-Alive", "timeout=5"],
    ["Proxy-Connection", "keep-alive"],
    ["Upgrade", "h2c"],
    ["Server", "internal-gpu-7"],
    ["X-Backend-Host", "gpu-7.internal"],
    ["Vary", "Accept"],
]
ALLOWED_BACKEND_FIELDS = [["openai-processing-ms", "42"]]


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_the_client_gets_only_the_listed_backend_fields_and_relays_own(relay, stub, keys, stream):
    cues = {"x-stub-response-headers": json.dumps(FORBIDDEN_BACKEND_FIELDS + ALLOWED_BACKEND_FIELDS)}
    response = _chat(relay, keys.main, cues, stream=stream)
    assert response.status == 200, response.text
    for name, _ in FORBIDDEN_BACKEND_FIELDS:
        assert response.header(name) is None, f"{name} reached the client"
    assert response.header("openai-processing-ms") == "42"
    assert response.header("content-type").startswith("text/event-stream" if stream else "application/json")
    assert response.header("x-relay-backend") == "stub" and response.header("x-request-id")
    assert (b"data: [DONE]" in response.body) if stream else response.json()["model"] == "chat-a"


def test_names_the_backends_connection_lists_stay_behind(relay, stub, keys):
    cues = {"x-stub-response-headers": json.dumps([["Connection", "keep-alive, Cache-Control, OpenAI-Processing-Ms"],
                                                   ["Cache-Control", "private"], ["openai-processing-ms", "7"]])}
    response = _chat(relay, keys.main, cues)
    assert response.status == 200, response.text
    assert response.header("cache-control") is None
    assert response.header("openai-processing-ms") is None
    assert response.header("content-type") == "application/json"


def test_cache_control_passes_back(relay, stub, keys):
    cues = {"x-stub-response-headers": json.dumps([["Cache-Control", "no-store"]])}
    response = _chat(relay, keys.main, cues)
    assert response.status == 200 and response.header("cache-control") == "no-store"
