"""The official `openai` Python SDK against Relay, with the stub upstream behind it.

The SDK is what most clients use: whatever it can't parse, or parses differently from what
OpenAI itself sends, is a bug in Relay whatever the SPEC says.
"""

from __future__ import annotations

import json
import struct
import uuid

import openai
import pytest

import raw_http
from relay_configs import UPSTREAM_API_KEY, Keys, standard_config
from relay_process import RelayProcess
from stub_upstream import StubUpstream, embedding_for

USER = [{"role": "user", "content": "tell me a story"}]
ANSWER = "Hello! You said: tell me a story"


def _float32(values: list[float]) -> list[float]:
    return list(struct.unpack(f"<{len(values)}f", struct.pack(f"<{len(values)}f", *values)))


def _sse_events(raw: str) -> list[str]:
    assert raw.endswith("\n\n"), f"an SSE stream ends with a blank line: {raw[-80:]!r}"
    events = raw.split("\n\n")[:-1]
    for event in events:
        assert event.startswith("data: "), f"not an SSE data event: {event!r}"
    return [e[len("data: "):] for e in events]


# ---- chat completions -----------------------------------------------------------------------


def test_chat_answers_with_the_alias_and_passes_fields_through(
    client: openai.OpenAI, stub: StubUpstream, keys: Keys
) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model="chat-a", messages=USER, temperature=0.25,
        extra_body={"top_k": 7, "custom": {"nested": [1, 2.5, "é", None]}},
    )
    chat = raw.parse()
    assert chat.model == "chat-a", "the answer names the alias the client sent, not the upstream model"
    assert chat.object == "chat.completion"
    assert chat.choices[0].message.content == ANSWER
    assert chat.choices[0].finish_reason == "stop"
    assert chat.usage.prompt_tokens == 4 and chat.usage.completion_tokens == 7

    assert raw.headers.get("x-request-id"), "every proxied response carries x-request-id"
    assert raw.headers.get("x-relay-backend") == "stub"
    assert raw.headers.get("x-relay-attempts") == "1"

    upstream = stub.last_request
    assert upstream.path == "/v1/chat/completions"
    assert upstream.json["model"] == "stub-chat-1"
    assert upstream.json["messages"] == USER
    assert upstream.json["temperature"] == 0.25
    assert upstream.json["top_k"] == 7
    assert upstream.json["custom"] == {"nested": [1, 2.5, "é", None]}
    assert "stream_options" not in upstream.json, "never ask for include_usage on a non-stream"
    assert upstream.header_values("authorization") == [f"Bearer {UPSTREAM_API_KEY}"]
    assert all(keys.main not in value for _, value in upstream.headers), "the client's key never goes upstream"
    assert upstream.header("accept-encoding") is None, "Accept-Encoding is not forwarded"


def test_request_id_and_access_log(client: openai.OpenAI, relay: RelayProcess, keys: Keys) -> None:
    request_id = "test-" + uuid.uuid4().hex
    raw = client.chat.completions.with_raw_response.create(
        model="chat-a", messages=USER, extra_headers={"x-request-id": request_id}
    )
    assert raw.headers.get_list("x-request-id") == [request_id], "the client's request id comes back, once"
    line = relay.wait_for_access_line(request_id)
    assert line["level"] == "info"
    assert line["key"] == "test-main"
    assert line["model"] == "chat-a"
    assert line["backend"] == "stub"
    assert line["upstream_model"] == "stub-chat-1"
    assert line["status"] == 200
    assert line["stream"] is False
    assert line["prompt_tokens"] == 4 and line["completion_tokens"] == 7
    assert line["attempts"] == 1
    assert isinstance(line["duration_ms"], (int, float))
    assert len(relay.access_lines(request_id)) == 1, "exactly one access line per request"
    for text in relay.lines:
        assert keys.main not in text and UPSTREAM_API_KEY not in text, f"a secret in a log line: {text}"


def test_chat_stream(client: openai.OpenAI, stub: StubUpstream) -> None:
    chunks = list(client.chat.completions.create(model="chat-a", messages=USER, stream=True))
    assert len(chunks) > 3, "the answer arrives in several chunks"
    assert all(c.model == "chat-a" for c in chunks)
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == ANSWER
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert all(c.usage is None for c in chunks), "no usage chunk unless the client asked for it"
    assert all(c.choices for c in chunks), "the usage chunk Relay asked for itself is removed"
    assert stub.last_request.json["stream_options"] == {"include_usage": True}, (
        "Relay always asks an OpenAI-API upstream for usage on streams"
    )


def test_chat_stream_include_usage(client: openai.OpenAI) -> None:
    chunks = list(client.chat.completions.create(
        model="chat-a", messages=USER, stream=True, stream_options={"include_usage": True}
    ))
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.prompt_tokens == 4 and chunks[-1].usage.completion_tokens == 7
    assert all(c.usage is None for c in chunks[:-1])
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == ANSWER


def test_chat_stream_wire_format(relay: RelayProcess, keys: Keys) -> None:
    request_id = "sse-" + uuid.uuid4().hex
    response = raw_http.request(
        "POST", relay.url("/v1/chat/completions"),
        headers={"Authorization": f"Bearer {keys.main}", "x-request-id": request_id},
        json_body={"model": "chat-a", "messages": USER, "stream": True},
    )
    assert response.status == 200
    assert response.header("content-type").startswith("text/event-stream")
    assert response.header_values("x-request-id") == [request_id]
    raw = response.text
    events = _sse_events(raw)
    assert events[-1] == "[DONE]"
    assert all(json.loads(e)["model"] == "chat-a" for e in events[:-1])
    assert "stub-chat-1" not in raw


def test_stream_with_crlf_events_and_spaced_json(client: openai.OpenAI) -> None:
    """llama-cpp-python's server: sse-starlette ends events in \\r\\n\\r\\n, its JSON has spaces, and
    starlette-context answers 400 to an x-request-id that is not a UUID."""
    chunks = list(client.chat.completions.create(
        model="chat-crlf", messages=USER, stream=True, stream_options={"include_usage": True}
    ))
    assert all(c.model == "chat-crlf" for c in chunks)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == ANSWER
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 7


def test_stream_usage_estimated_when_upstream_ignores_include_usage(client: openai.OpenAI) -> None:
    """llama.cpp's python server ignores stream_options; Relay still sends the usage chunk asked for."""
    chunks = list(client.chat.completions.create(
        model="chat-no-usage", messages=USER, stream=True, stream_options={"include_usage": True}
    ))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == ANSWER
    usage_chunks = [c for c in chunks if c.usage is not None]
    assert len(usage_chunks) == 1 and usage_chunks[0] is chunks[-1]
    assert chunks[-1].usage.prompt_tokens > 0 and chunks[-1].usage.completion_tokens > 0


def test_stream_broken_upstream_ends_with_error_event(relay: RelayProcess, keys: Keys) -> None:
    response = raw_http.request(
        "POST", relay.url("/v1/chat/completions"), headers={"Authorization": f"Bearer {keys.main}"},
        json_body={"model": "chat-break", "messages": USER, "stream": True},
    )
    assert response.status == 200, "the status went out with the first event"
    raw = response.text
    events = _sse_events(raw)
    assert "[DONE]" not in events, "a failed stream does not end in [DONE]"
    last = json.loads(events[-1])
    assert set(last) == {"error"} and last["error"]["message"]
    assert "break-after-2" not in raw, "the upstream model name never reaches the client"


def test_openai_style_upstream(client: openai.OpenAI) -> None:
    """Pretty-printed JSON and OpenAI's own headers from upstream: alias back, headers dropped."""
    request_id = "oai-" + uuid.uuid4().hex
    raw = client.chat.completions.with_raw_response.create(
        model="chat-openai", messages=USER, extra_headers={"x-request-id": request_id}
    )
    chat = raw.parse()
    assert chat.model == "chat-openai"
    assert chat.choices[0].message.content == ANSWER
    assert "set-cookie" not in raw.headers
    assert raw.headers.get_list("x-request-id") == [request_id]
    assert raw.headers.get("x-ratelimit-limit-requests") != "10000", "upstream x-ratelimit-* are not passed back"
    chunks = list(client.chat.completions.create(model="chat-openai", messages=USER, stream=True))
    assert all(c.model == "chat-openai" for c in chunks)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == ANSWER


# ---- completions and embeddings -------------------------------------------------------------


def test_completions(client: openai.OpenAI, stub: StubUpstream) -> None:
    completion = client.completions.create(model="chat-a", prompt="Once upon a time", max_tokens=3)
    assert completion.model == "chat-a"
    assert completion.object == "text_completion"
    assert completion.choices[0].text == " and then "
    assert completion.choices[0].finish_reason == "length"
    assert stub.last_request.path == "/v1/completions"
    assert stub.last_request.json["model"] == "stub-chat-1"
    assert stub.last_request.json["max_tokens"] == 3

    chunks = list(client.completions.create(model="chat-a", prompt="Once upon a time", stream=True))
    assert all(c.model == "chat-a" for c in chunks)
    assert "".join(c.choices[0].text for c in chunks if c.choices) == " and then it said: Once upon a time"
    assert all(c.usage is None for c in chunks)

    chunks = list(client.completions.create(
        model="chat-a", prompt="Once", stream=True, stream_options={"include_usage": True}
    ))
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 6


def test_embeddings_floats_and_base64(client: openai.OpenAI, stub: StubUpstream) -> None:
    floats = client.embeddings.create(model="embed-a", input=["alpha", "beta"], encoding_format="float")
    assert floats.model == "embed-a"
    assert [d.embedding for d in floats.data] == [embedding_for("alpha"), embedding_for("beta")]
    assert stub.last_request.json["model"] == "stub-embed-1"

    encoded = client.embeddings.create(model="embed-a", input=["alpha", "beta"], encoding_format="base64")
    assert encoded.model == "embed-a"
    for item, text in zip(encoded.data, ["alpha", "beta"]):
        assert isinstance(item.embedding, str), "base64 was asked for, a string comes back"
        raw = __import__("base64").b64decode(item.embedding)
        assert len(raw) == 4 * len(embedding_for(text))
        assert list(struct.unpack(f"<{len(raw) // 4}f", raw)) == _float32(embedding_for(text))

    # The SDK's default: it asks for base64 and decodes it itself.
    default = client.embeddings.create(model="embed-a", input="alpha")
    assert default.data[0].embedding == pytest.approx(_float32(embedding_for("alpha")), abs=0, rel=0)


# ---- models ---------------------------------------------------------------------------------


def test_models_list_only_the_keys_scopes(client: openai.OpenAI, keys: Keys) -> None:
    ids = [m.id for m in client.models.list()]
    assert sorted(ids) == sorted(keys.main_scopes)
    assert "secret-model" not in ids


def test_models_retrieve_id_with_slash(client: openai.OpenAI, relay: RelayProcess, keys: Keys) -> None:
    model = client.models.retrieve("org/model-x")  # the SDK sends /v1/models/org%2Fmodel-x
    assert model.id == "org/model-x" and model.object == "model"
    response = raw_http.request("GET", relay.url("/v1/models/org/model-x"),
                                headers={"Authorization": f"Bearer {keys.main}"})
    assert response.status == 200 and response.json()["id"] == "org/model-x"
    with pytest.raises((openai.NotFoundError, openai.PermissionDeniedError)):
        client.models.retrieve("secret-model")


# ---- errors ---------------------------------------------------------------------------------


def test_invalid_json_is_bad_request(client: openai.OpenAI, stub: StubUpstream) -> None:
    with pytest.raises(openai.BadRequestError) as error:
        client.post("/chat/completions", cast_to=object, content=b'{"model": "chat-a", "messages": [',
                    options={"headers": {"Content-Type": "application/json"}})
    assert error.value.status_code == 400
    assert error.value.type == "invalid_request_error"
    assert stub.api_requests() == []


def test_missing_model_is_bad_request(client: openai.OpenAI, stub: StubUpstream) -> None:
    with pytest.raises(openai.BadRequestError) as error:
        client.post("/chat/completions", cast_to=object, body={"messages": USER})
    assert error.value.type == "invalid_request_error"
    assert stub.api_requests() == []


def test_duplicated_model_key_is_bad_request(client: openai.OpenAI, stub: StubUpstream) -> None:
    with pytest.raises(openai.BadRequestError):
        client.post("/chat/completions", cast_to=object,
                    content=b'{"model": "chat-a", "messages": [], "model": "secret-model"}',
                    options={"headers": {"Content-Type": "application/json"}})
    assert stub.api_requests() == []


def test_wrong_key_is_authentication_error(relay: RelayProcess, stub: StubUpstream) -> None:
    with openai.OpenAI(base_url=relay.url("/v1"), api_key="rk-wrong-key", max_retries=0) as wrong:
        with pytest.raises(openai.AuthenticationError) as error:
            wrong.chat.completions.create(model="chat-a", messages=USER)
        assert error.value.code == "invalid_api_key"
        with pytest.raises(openai.AuthenticationError):
            wrong.chat.completions.create(model="no-such-model", messages=USER)  # auth is checked first
    response = raw_http.request("POST", relay.url("/v1/chat/completions"), json_body={"model": "chat-a", "messages": USER})
    assert response.status == 401, "no Authorization header at all"
    assert response.json()["error"]["code"] == "invalid_api_key"
    assert stub.api_requests() == []


def test_model_outside_scopes_is_not_found(client: openai.OpenAI, stub: StubUpstream) -> None:
    """As OpenAI does: a key is not told that a model it may not use exists."""
    with pytest.raises(openai.NotFoundError) as error:
        client.chat.completions.create(model="secret-model", messages=USER)
    assert error.value.type == "invalid_request_error"
    assert error.value.code == "model_not_found"
    assert stub.api_requests() == []


def test_unknown_model_is_not_found(client: openai.OpenAI, stub: StubUpstream) -> None:
    with pytest.raises(openai.NotFoundError) as error:
        client.chat.completions.create(model="no-such-model", messages=USER)
    assert error.value.type == "invalid_request_error"
    assert error.value.code == "model_not_found"
    assert stub.api_requests() == []


def test_upstream_400_comes_back_with_the_alias(client: openai.OpenAI, stub: StubUpstream) -> None:
    with pytest.raises(openai.BadRequestError) as error:
        client.chat.completions.create(model="bad-400", messages=USER)
    assert "bad thing for model bad-400" in error.value.message
    assert "fail-400" not in json.dumps(error.value.body), "the upstream model name never reaches the client"
    assert len(stub.api_requests()) == 1, "an upstream 400 is not retried"


@pytest.mark.parametrize("alias", ["bad-404", "bad-500"])
def test_upstream_failure_is_502_and_not_retried_by_the_sdk(relay: RelayProcess, keys: Keys, stub: StubUpstream,
                                                            alias: str) -> None:
    with openai.OpenAI(base_url=relay.url("/v1"), api_key=keys.main, max_retries=2) as retrying:
        with pytest.raises(openai.InternalServerError) as error:
            retrying.chat.completions.create(model=alias, messages=USER)
    assert error.value.status_code == 502
    assert error.value.type == "api_error" and error.value.code == "upstream_error"
    assert error.value.response.headers.get("x-should-retry") == "false"
    assert len(stub.api_requests()) == 1, "x-should-retry: false keeps the SDK from retrying"
    assert alias.replace("bad", "fail") not in json.dumps(error.value.body)


def test_sigterm_exits_zero(start_relay, stub: StubUpstream, keys: Keys) -> None:
    process = start_relay(standard_config(stub.base_url, keys))
    assert raw_http.request("GET", process.url("/healthz")).json() == {"status": "ok"}
    assert process.stop() == 0
