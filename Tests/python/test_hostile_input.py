"""Bad input gets a clear OpenAI-shaped 4xx and loses nothing: the gateway keeps serving."""

from __future__ import annotations

import pytest

import raw_http


def _post(relay, key: str, body: bytes, path: str = "/v1/chat/completions") -> raw_http.Response:
    return raw_http.request("POST", relay.url(path), body=body,
                            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})


HOSTILE_BODIES = {
    "not json": b"hello",
    "truncated": b'{"model":"chat-a","messages":[{"role":"user","content":"hi"',
    "deeply nested": b'{"model":"chat-a","x":' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "invalid utf-8 in model": b'{"model":"chat-\xff\xfe","messages":[]}',
    "model is a number": b'{"model":42,"messages":[]}',
    "model is null": b'{"model":null}',
    "stream is a string": b'{"model":"chat-a","stream":"yes","messages":[]}',
    "max_tokens negative": b'{"model":"chat-a","max_tokens":-1,"messages":[]}',
    "max_tokens a float": b'{"model":"chat-a","max_tokens":1.5,"messages":[]}',
    "stream_options not an object": b'{"model":"chat-a","stream":true,"stream_options":[1]}',
    "duplicate model": b'{"model":"chat-a","model":"secret-model","messages":[]}',
    "control character raw in a string": b'{"model":"chat-a","messages":[{"role":"user","content":"a\x01b"}]}',
    "bad escape": b'{"model":"chat-\\q"}',
    "top level array": b'[{"model":"chat-a"}]',
    "empty": b"",
}


@pytest.mark.parametrize("name", sorted(HOSTILE_BODIES))
def test_hostile_bodies_get_a_400_and_reach_no_upstream(relay, stub, keys, name):
    response = _post(relay, keys.main, HOSTILE_BODIES[name])
    assert response.status == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["message"]
    assert stub.api_requests() == []


@pytest.mark.parametrize("model", ["x" * 10_000, "chat\u0000a", "chat\na", "../../etc/passwd", "chat-a "])
def test_strange_model_names_are_unknown_models(relay, stub, keys, model):
    import json

    response = _post(relay, keys.main, json.dumps({"model": model, "messages": []}).encode())
    assert response.status == 404
    error = response.json()["error"]
    assert error["code"] == "model_not_found" and len(error["message"]) < 400
    assert stub.api_requests() == []


def test_a_huge_string_inside_the_limit_passes_through(relay, stub, keys):
    import json

    content = "é" * 400_000  # 800 KB of UTF-8, under max_body_bytes
    body = json.dumps({"model": "chat-a", "messages": [{"role": "user", "content": content}]},
                      ensure_ascii=False).encode()
    response = _post(relay, keys.main, body)
    assert response.status == 200
    assert json.loads(stub.last_api_request.body)["messages"][0]["content"] == content


def test_the_gateway_still_serves_after_all_of_it(relay, keys):
    response = _post(relay, keys.main, b'{"model":"chat-a","messages":[{"role":"user","content":"hi"}]}')
    assert response.status == 200
    assert raw_http.request("GET", relay.url("/healthz")).status == 200
