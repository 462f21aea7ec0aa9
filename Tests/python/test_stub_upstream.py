"""The stub upstream itself speaks the OpenAI wire format (checked without Relay in between).

If these fail, the end-to-end tests' verdicts about Relay cannot be trusted.
"""

from __future__ import annotations

import http.client
import json

import pytest

from stub_upstream import StubUpstream, embedding_for


def _post(conn: http.client.HTTPConnection, path: str, body: dict, **headers: str) -> http.client.HTTPResponse:
    conn.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json", **headers})
    return conn.getresponse()


def _events(raw: bytes) -> list[str]:
    text = raw.decode()
    assert text.endswith("\n\n"), "every SSE event ends in a blank line"
    events = text.split("\n\n")[:-1]
    assert all(e.startswith("data: ") for e in events)
    return [e[len("data: "):] for e in events]


@pytest.fixture
def conn(stub: StubUpstream):
    connection = http.client.HTTPConnection("127.0.0.1", stub.port, timeout=10)
    yield connection
    connection.close()


def test_chat_non_stream_and_keep_alive(stub: StubUpstream, conn: http.client.HTTPConnection) -> None:
    for _ in range(2):  # the same connection serves both: HTTP/1.1 keep-alive
        response = _post(conn, "/v1/chat/completions",
                         {"model": "stub-chat-1", "messages": [{"role": "user", "content": "hi there"}]},
                         Authorization="Bearer upstream-secret")
        body = response.read()
        assert response.status == 200
        assert response.getheader("content-type") == "application/json"
        assert int(response.getheader("content-length")) == len(body)
        payload = json.loads(body)
        assert payload["object"] == "chat.completion"
        assert payload["model"] == "stub-chat-1"
        assert payload["choices"][0]["message"]["content"] == "Hello! You said: hi there"
        assert payload["usage"]["prompt_tokens"] == 2
        assert payload["usage"]["completion_tokens"] == 5
    assert stub.last_request.header("authorization") == "Bearer upstream-secret"
    assert stub.last_request.json["messages"][0]["content"] == "hi there"


def test_chat_stream_with_and_without_usage(conn: http.client.HTTPConnection) -> None:
    request = {"model": "stub-chat-1", "stream": True, "messages": [{"role": "user", "content": "x"}]}
    response = _post(conn, "/v1/chat/completions", request)
    assert response.status == 200
    assert response.getheader("transfer-encoding") == "chunked"
    assert response.getheader("content-type").startswith("text/event-stream")
    events = _events(response.read())
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" and "usage" not in c for c in chunks)
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks) == "Hello! You said: x"
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"

    response = _post(conn, "/v1/chat/completions", request | {"stream_options": {"include_usage": True}})
    chunks = [json.loads(e) for e in _events(response.read())[:-1]]
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] == 4
    assert all(c["usage"] is None for c in chunks[:-1])


def test_completions_and_max_tokens(conn: http.client.HTTPConnection) -> None:
    payload = json.loads(_post(conn, "/v1/completions", {"model": "m", "prompt": "Once", "max_tokens": 2}).read())
    assert payload["object"] == "text_completion"
    assert payload["choices"][0]["text"] == " and "
    assert payload["choices"][0]["finish_reason"] == "length"
    response = _post(conn, "/v1/completions", {"model": "m", "prompt": "Once", "stream": True})
    events = _events(response.read())
    assert events[-1] == "[DONE]"
    assert "".join(json.loads(e)["choices"][0]["text"] for e in events[:-1]) == " and then it said: Once"


def test_embeddings_floats(conn: http.client.HTTPConnection) -> None:
    payload = json.loads(_post(conn, "/v1/embeddings", {"model": "e", "input": ["a", "b"],
                                                          "encoding_format": "base64"}).read())
    assert [d["embedding"] for d in payload["data"]] == [embedding_for("a"), embedding_for("b")]


@pytest.mark.parametrize("status", [400, 404, 500])
def test_failure_cues(conn: http.client.HTTPConnection, status: int) -> None:
    response = _post(conn, "/v1/chat/completions", {"model": f"fail-{status}", "messages": []})
    assert response.status == status
    assert json.loads(response.read())["error"]["message"] == f"bad thing for model fail-{status}"
    response = _post(conn, "/v1/chat/completions", {"model": "ok", "messages": []}, **{"x-stub-status": "503"})
    assert response.status == 503
    response.read()


def test_openai_style_and_break(stub: StubUpstream, conn: http.client.HTTPConnection) -> None:
    response = _post(conn, "/v1/chat/completions", {"model": "x-openai-style", "messages": []})
    raw = response.read()
    assert raw.startswith(b"{\n  ")
    assert response.getheader("set-cookie") and response.getheader("x-ratelimit-limit-requests") == "10000"
    response = _post(conn, "/v1/chat/completions", {"model": "break-after-1", "stream": True, "messages": []})
    with pytest.raises(http.client.IncompleteRead):
        response.read()


def test_starlette_style_stream(conn: http.client.HTTPConnection) -> None:
    response = _post(conn, "/v1/chat/completions", {"model": "s-starlette-style", "stream": True, "messages": []})
    raw = response.read()
    assert raw.endswith(b"data: [DONE]\r\n\r\n") and b'"object": "chat.completion.chunk"' in raw
    response = _post(conn, "/v1/chat/completions", {"model": "s-starlette-style", "messages": []},
                     **{"x-request-id": "req_123"})
    assert response.status == 400 and response.read() == b"", "llama-cpp-python rejects non-UUID request ids"


def test_models(conn: http.client.HTTPConnection) -> None:
    conn.request("GET", "/v1/models")
    payload = json.loads(conn.getresponse().read())
    assert [m["id"] for m in payload["data"]] == ["stub-chat-1", "stub-embed-1"]


def test_openai_sdk_accepts_the_stub(stub: StubUpstream) -> None:
    """The official SDK, pointed straight at the stub, parses everything it sends."""
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(base_url=stub.base_url + "/v1", api_key="upstream-secret", max_retries=0)
    chat = client.chat.completions.create(model="stub-chat-1", messages=[{"role": "user", "content": "yo"}])
    assert chat.choices[0].message.content == "Hello! You said: yo"
    chunks = list(client.chat.completions.create(model="stub-chat-1", messages=[{"role": "user", "content": "yo"}],
                                                 stream=True, stream_options={"include_usage": True}))
    assert chunks[-1].usage.total_tokens == 5
    chunks = list(client.chat.completions.create(model="x-starlette-style", messages=[{"role": "user", "content": "yo"}],
                                                 stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "Hello! You said: yo"
    embedding = client.embeddings.create(model="e", input="a")  # the SDK asks for base64 by default
    assert embedding.data[0].embedding == embedding_for("a")
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="fail-400", messages=[])
