"""The official `openai` Python SDK against Relay with an Ollama backend (stub_ollama.py) behind it.

A client must not be able to tell that a model is served by Ollama: every answer here is what
the SDK parses from OpenAI itself. The cloud fallback is the OpenAI-compatible stub.
"""

from __future__ import annotations

import base64
import json
import struct
import time
from pathlib import Path
from typing import Any, Iterator

import openai
import pytest

import raw_http

from relay_configs import Keys
from relay_process import RelayProcess, key_hash
from stub_ollama import StubOllama, ollama_embedding
from stub_upstream import StubUpstream

PULLED = ["qwen2.5:7b", "cached-qwen:7b", "no-tools-gemma:2b", "error-mid-llama:8b", "fail-500:7b",
          "busy-503:7b", "nomic-embed-text:latest"]
USER = [{"role": "user", "content": "tell me a story"}]
ANSWER = "Hello from Ollama! You said: tell me a story"
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
                       "required": ["city"]},
    },
}
TIME_TOOL = {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}}}


def ollama_config(ollama_url: str, cloud_url: str, key: str) -> dict[str, Any]:
    ollama = {"type": "ollama", "base_url": ollama_url, "keep_alive": "5m", "options": {"num_ctx": 4096},
              "health_interval_s": 0.2, "circuit": {"failures": 1000, "cooldown_s": 1}}
    return {
        "server": {"drain_delay_s": 0, "shutdown_grace_s": 5},
        "log": {"level": "info", "format": "json"},
        "backends": {
            "ollama": ollama,
            # The same server without health checks: Relay learns about a missing model only from a call.
            "ollama-unchecked": ollama | {"health_path": None},
            "cloud": {"type": "vllm", "base_url": cloud_url, "health_path": None},
        },
        "models": {
            "qwen": {"backend": "ollama", "upstream_model": "qwen2.5:7b"},
            "qwen-cached": {"backend": "ollama", "upstream_model": "cached-qwen:7b"},
            "gemma": {"backend": "ollama", "upstream_model": "no-tools-gemma:2b"},
            "llama-mid": {"backend": "ollama", "upstream_model": "error-mid-llama:8b"},
            "crashing": {"backend": "ollama", "upstream_model": "fail-500:7b"},
            "crashing-fb": {"backend": "ollama", "upstream_model": "fail-500:7b",
                            "fallbacks": [{"backend": "cloud", "upstream_model": "stub-chat-1"}]},
            "busy": {"backend": "ollama", "upstream_model": "busy-503:7b"},
            "ghost": {"backend": "ollama-unchecked", "upstream_model": "ghost:7b"},
            "ghost-fb": {"backend": "ollama-unchecked", "upstream_model": "ghost:7b",
                         "fallbacks": [{"backend": "cloud", "upstream_model": "stub-chat-1"}]},
            "embed": {"backend": "ollama", "upstream_model": "nomic-embed-text"},
        },
        "api_keys": [{"name": "ollama-test", "hash": key_hash(key), "scopes": ["*"]}],
    }


@pytest.fixture(scope="module")
def ollama() -> Iterator[StubOllama]:
    with StubOllama(pulled=PULLED) as server:
        yield server


@pytest.fixture(scope="module")
def ollama_relay(ollama: StubOllama, stub_server: StubUpstream, keys: Keys,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayProcess]:
    config = ollama_config(ollama.base_url, stub_server.base_url, keys.main)
    with RelayProcess(config, tmp_path_factory.mktemp("relay-ollama")) as process:
        yield process


@pytest.fixture
def sdk(ollama_relay: RelayProcess, ollama: StubOllama, stub: StubUpstream, keys: Keys) -> Iterator[openai.OpenAI]:
    ollama.reset()
    with openai.OpenAI(base_url=ollama_relay.url("/v1"), api_key=keys.main, max_retries=0, timeout=30) as client:
        yield client


# ---- chat -----------------------------------------------------------------------------------


def test_chat_is_an_openai_completion_with_usage_from_ollamas_counts(sdk: openai.OpenAI, ollama: StubOllama) -> None:
    raw = sdk.chat.completions.with_raw_response.create(
        model="qwen", messages=[{"role": "system", "content": "be brief"}, *USER],
        max_tokens=50, temperature=0.3, top_p=0.9, seed=42, stop=["\n\n"],
    )
    chat = raw.parse()
    assert chat.object == "chat.completion" and chat.id.startswith("chatcmpl-")
    assert chat.model == "qwen", "the client's alias, not the Ollama model name"
    assert chat.choices[0].message.role == "assistant"
    assert chat.choices[0].message.content == ANSWER
    assert chat.choices[0].finish_reason == "stop"
    assert (chat.usage.prompt_tokens, chat.usage.completion_tokens, chat.usage.total_tokens) == (6, 9, 15)
    assert raw.headers["x-relay-backend"] == "ollama"

    sent = ollama.last_request
    assert sent.path == "/api/chat"
    assert sent.json["model"] == "qwen2.5:7b" and sent.json["stream"] is False
    assert sent.json["messages"] == [{"role": "system", "content": "be brief"}, *USER]
    assert sent.json["keep_alive"] == "5m"
    assert sent.json["options"] == {"num_ctx": 4096, "num_predict": 50, "temperature": 0.3, "top_p": 0.9,
                                    "seed": 42, "stop": ["\n\n"]}


def test_length_limit_becomes_finish_reason_length(sdk: openai.OpenAI, ollama: StubOllama) -> None:
    chat = sdk.chat.completions.create(model="qwen", messages=USER, max_completion_tokens=3)
    assert ollama.last_request.json["options"]["num_predict"] == 3
    assert chat.choices[0].message.content == "Hello from Ollama! "
    assert chat.choices[0].finish_reason == "length"
    assert chat.usage.completion_tokens == 3


def test_counts_ollama_leaves_out_read_as_zero(sdk: openai.OpenAI) -> None:
    """A fully cached prompt has prompt_eval_count 0, which Go's omitempty leaves out."""
    chat = sdk.chat.completions.create(model="qwen-cached", messages=USER)
    assert chat.usage.prompt_tokens == 0
    assert chat.usage.completion_tokens == chat.usage.total_tokens == 9


def test_stream_becomes_chunks_with_one_id_role_first_finish_last(sdk: openai.OpenAI, ollama: StubOllama) -> None:
    chunks = list(sdk.chat.completions.create(model="qwen", messages=USER, stream=True))
    assert ollama.last_request.json["stream"] is True
    assert {c.id for c in chunks} == {chunks[0].id} and {c.created for c in chunks} == {chunks[0].created}
    assert all(c.object == "chat.completion.chunk" and c.model == "qwen" for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == ANSWER
    assert [c.choices[0].finish_reason for c in chunks if c.choices[0].finish_reason] == ["stop"]
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert all(c.usage is None for c in chunks), "no usage chunk unless asked"


def test_stream_with_include_usage_ends_in_the_usage_chunk(sdk: openai.OpenAI) -> None:
    chunks = list(sdk.chat.completions.create(model="qwen", messages=USER, stream=True,
                                              stream_options={"include_usage": True}))
    usage_chunk = chunks[-1]
    assert usage_chunk.choices == []
    assert (usage_chunk.usage.prompt_tokens, usage_chunk.usage.completion_tokens) == (4, 9)
    assert chunks[-2].choices[0].finish_reason == "stop"


def test_tool_calls_come_back_in_openai_form_in_order(sdk: openai.OpenAI, ollama: StubOllama) -> None:
    chat = sdk.chat.completions.create(model="qwen", messages=USER, tools=[WEATHER_TOOL, TIME_TOOL])
    assert ollama.last_request.json["tools"] == [WEATHER_TOOL, TIME_TOOL]
    choice = chat.choices[0]
    assert choice.finish_reason == "tool_calls"
    calls = choice.message.tool_calls
    assert [c.function.name for c in calls] == ["get_weather", "get_time"]
    assert json.loads(calls[0].function.arguments) == {"city": "Paris", "days": 7}, "arguments: a JSON string"
    assert json.loads(calls[1].function.arguments) == {}
    assert all(c.type == "function" and c.id for c in calls) and calls[0].id != calls[1].id


def test_streamed_tool_calls_are_indexed_deltas(sdk: openai.OpenAI) -> None:
    chunks = list(sdk.chat.completions.create(model="qwen", messages=USER, tools=[WEATHER_TOOL, TIME_TOOL],
                                              stream=True))
    deltas = [call for c in chunks if c.choices for call in (c.choices[0].delta.tool_calls or [])]
    assert [(d.index, d.function.name) for d in deltas] == [(0, "get_weather"), (1, "get_time")]
    assert json.loads(deltas[0].function.arguments) == {"city": "Paris", "days": 7}
    assert all(d.id and d.type == "function" for d in deltas)
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_a_tool_result_goes_back_to_ollama_with_arguments_as_an_object(sdk: openai.OpenAI, ollama: StubOllama) -> None:
    messages = [*USER,
                {"role": "assistant", "content": None, "tool_calls": [
                    {"id": "call_1", "type": "function",
                     "function": {"name": "get_weather", "arguments": "{\"city\":\"Oslo\"}"}}]},
                {"role": "tool", "tool_call_id": "call_1", "content": "sunny"}]
    sdk.chat.completions.create(model="qwen", messages=messages)
    sent = ollama.last_request.json["messages"]
    assert sent[1]["tool_calls"][0]["function"] == {"name": "get_weather", "arguments": {"city": "Oslo"}}
    assert sent[2]["role"] == "tool" and sent[2]["content"] == "sunny"


def test_image_parts_go_to_ollama_as_base64_images(sdk: openai.OpenAI, ollama: StubOllama) -> None:
    pixel = base64.b64encode(b"\x89PNG\r\n\x1a\n a one-pixel image").decode()
    sdk.chat.completions.create(model="qwen", messages=[{"role": "user", "content": [
        {"type": "text", "text": "what is this"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{pixel}"}},
    ]}])
    assert ollama.last_request.json["messages"] == [{"role": "user", "content": "what is this", "images": [pixel]}]


def test_json_object_mode_asks_ollama_for_json(sdk: openai.OpenAI, ollama: StubOllama) -> None:
    chat = sdk.chat.completions.create(model="qwen", messages=USER, response_format={"type": "json_object"})
    assert ollama.last_request.json["format"] == "json"
    assert json.loads(chat.choices[0].message.content) == {"answer": "tell me a story"}


def test_json_schema_mode_sends_the_schema_as_format(sdk: openai.OpenAI, ollama: StubOllama) -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}, "rank": {"type": "integer"}},
              "required": ["city", "rank"], "additionalProperties": False}
    chat = sdk.chat.completions.create(
        model="qwen", messages=USER,
        response_format={"type": "json_schema", "json_schema": {"name": "place", "schema": schema, "strict": True}},
    )
    assert ollama.last_request.json["format"] == schema
    assert json.loads(chat.choices[0].message.content) == {"city": "Paris", "rank": 7}


# ---- completions and embeddings -------------------------------------------------------------


def test_completion_goes_to_generate_raw(sdk: openai.OpenAI, ollama: StubOllama) -> None:
    completion = sdk.completions.create(model="qwen", prompt="Once upon a time", max_tokens=20)
    sent = ollama.last_request
    assert sent.path == "/api/generate"
    assert sent.json["prompt"] == "Once upon a time" and sent.json["raw"] is True
    assert sent.json["options"]["num_predict"] == 20
    assert completion.object == "text_completion" and completion.model == "qwen"
    assert completion.choices[0].text == " and so the story goes on after Once upon a time"
    assert completion.choices[0].finish_reason == "stop"
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (4, 12)


def test_streamed_completion(sdk: openai.OpenAI) -> None:
    chunks = list(sdk.completions.create(model="qwen", prompt="Once upon a time", stream=True,
                                         stream_options={"include_usage": True}))
    text = "".join(c.choices[0].text for c in chunks if c.choices)
    assert text == " and so the story goes on after Once upon a time"
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["stop"]
    assert chunks[-1].usage.completion_tokens == 12


@pytest.mark.parametrize("given", ["the quick brown fox", ["the quick brown fox", "jumps"]])
def test_embeddings_as_floats(sdk: openai.OpenAI, ollama: StubOllama, given: Any) -> None:
    answer = sdk.embeddings.create(model="embed", input=given, encoding_format="float")
    sent = ollama.last_request
    assert sent.path == "/api/embed" and sent.json["model"] == "nomic-embed-text" and sent.json["input"] == given
    texts = [given] if isinstance(given, str) else given
    assert answer.model == "embed"
    assert [d.index for d in answer.data] == list(range(len(texts)))
    for item, text in zip(answer.data, texts):
        assert item.embedding == pytest.approx(ollama_embedding(text), rel=1e-6)
    assert answer.usage.prompt_tokens == sum(len(t.split()) for t in texts)


@pytest.mark.parametrize("given", ["the quick brown fox", ["the quick brown fox", "jumps"]])
def test_embeddings_as_base64_are_encoded_by_relay(ollama_relay: RelayProcess, keys: Keys, given: Any) -> None:
    # The SDK decodes base64 itself when it asked for it by default; ask explicitly and read the wire.
    response = raw_http.request("POST", ollama_relay.url("/v1/embeddings"),
                                headers={"authorization": f"Bearer {keys.main}"},
                                json_body={"model": "embed", "input": given, "encoding_format": "base64"})
    assert response.status == 200
    texts = [given] if isinstance(given, str) else given
    for item, text in zip(response.json()["data"], texts):
        raw = base64.b64decode(item["embedding"])
        floats = list(struct.unpack(f"<{len(raw) // 4}f", raw))
        vector = ollama_embedding(text)
        expected = list(struct.unpack(f"<{len(vector)}f", struct.pack(f"<{len(vector)}f", *vector)))
        assert floats == expected, "little-endian float32, as OpenAI sends them"


def test_the_sdk_default_base64_round_trips(sdk: openai.OpenAI) -> None:
    answer = sdk.embeddings.create(model="embed", input="the quick brown fox")
    assert answer.data[0].embedding == pytest.approx(ollama_embedding("the quick brown fox"), rel=1e-6)


# ---- errors ---------------------------------------------------------------------------------


def test_ollamas_400_is_an_openai_400_without_the_upstream_name(sdk: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        sdk.chat.completions.create(model="gemma", messages=USER, tools=[WEATHER_TOOL])
    error = caught.value
    assert error.status_code == 400
    assert "does not support tools" in error.message
    assert "no-tools-gemma" not in error.message
    assert error.body["type"] == "invalid_request_error"
    assert error.response.headers["x-relay-attempts"] == "1"


def test_an_error_line_mid_stream_ends_it_with_an_error_event_and_no_done(
    ollama_relay: RelayProcess, keys: Keys
) -> None:
    response = raw_http.request("POST", ollama_relay.url("/v1/chat/completions"),
                                headers={"authorization": f"Bearer {keys.main}"},
                                json_body={"model": "llama-mid", "messages": USER, "stream": True})
    assert response.status == 200
    raw = response.text
    events = [e[len("data: "):] for e in raw.split("\n\n") if e]
    assert "[DONE]" not in events
    contents = [json.loads(e)["choices"][0]["delta"].get("content") for e in events[:-1]]
    assert "".join(c or "" for c in contents) == "Hello from "
    error = json.loads(events[-1])["error"]
    assert "unexpected EOF" in error["message"]

    # The SDK surfaces it as an error rather than a silently short answer.
    with openai.OpenAI(base_url=ollama_relay.url("/v1"), api_key=keys.main, max_retries=0) as client:
        with pytest.raises(openai.APIError):
            for _ in client.chat.completions.create(model="llama-mid", messages=USER, stream=True):
                pass


@pytest.mark.parametrize("alias", ["crashing", "busy"])
def test_a_5xx_without_a_fallback_is_a_502_naming_the_alias(sdk: openai.OpenAI, alias: str) -> None:
    with pytest.raises(openai.InternalServerError) as caught:
        sdk.chat.completions.create(model=alias, messages=USER)
    error = caught.value
    assert error.status_code == 502
    assert error.body["code"] == "upstream_error"
    assert error.response.headers["x-should-retry"] == "false"
    assert alias in error.message and ":7b" not in error.message


def test_a_5xx_falls_back_to_the_cloud(sdk: openai.OpenAI, ollama: StubOllama, stub: StubUpstream) -> None:
    raw = sdk.chat.completions.with_raw_response.create(model="crashing-fb", messages=USER)
    chat = raw.parse()
    assert raw.headers["x-relay-backend"] == "cloud" and raw.headers["x-relay-attempts"] == "2"
    assert chat.model == "crashing-fb"
    assert chat.choices[0].message.content == "Hello! You said: tell me a story"
    assert stub.last_api_request.json["model"] == "stub-chat-1"
    assert len(ollama.api_requests("/api/chat")) == 1


def test_a_model_that_is_not_pulled_is_a_502_naming_the_alias(sdk: openai.OpenAI) -> None:
    with pytest.raises(openai.InternalServerError) as caught:
        sdk.chat.completions.create(model="ghost", messages=USER)
    assert caught.value.status_code == 502
    assert "ghost" in caught.value.message and "ghost:7b" not in caught.value.message
    assert "404" in caught.value.message


def test_a_model_that_is_not_pulled_falls_back(sdk: openai.OpenAI) -> None:
    raw = sdk.chat.completions.with_raw_response.create(model="ghost-fb", messages=USER)
    assert raw.headers["x-relay-backend"] == "cloud" and raw.headers["x-relay-attempts"] == "2"
    assert raw.parse().model == "ghost-fb"


# ---- readiness: "Ollama is up but the model is not pulled" ----------------------------------


def _readyz(relay: RelayProcess) -> tuple[int, dict[str, Any]]:
    response = raw_http.request("GET", relay.url("/readyz"))
    return response.status, response.json()


def _wait_for(predicate, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_readyz_names_models_not_pulled_and_requests_skip_the_backend(
    start_relay, stub: StubUpstream, keys: Keys, tmp_path: Path
) -> None:
    with StubOllama(pulled=["llama3.2:latest"]) as server:
        config = ollama_config(server.base_url, stub.base_url, keys.main)
        config["models"] = {
            "qwen": {"backend": "ollama", "upstream_model": "qwen2.5:7b",
                     "fallbacks": [{"backend": "cloud", "upstream_model": "stub-chat-1"}]},
            "qwen-local": {"backend": "ollama", "upstream_model": "qwen2.5:7b"},
            "llama": {"backend": "ollama", "upstream_model": "llama3.2"},
        }
        relay = start_relay(config)
        _wait_for(lambda: "not_pulled" in _readyz(relay)[1]["backends"]["ollama"])
        status, body = _readyz(relay)
        assert status == 200, "a backend never makes Relay unready"
        assert body["status"] == "ready"
        assert body["backends"]["ollama"]["state"] == "up"
        assert body["backends"]["ollama"]["not_pulled"] == ["qwen2.5:7b"], "llama3.2 is llama3.2:latest"
        assert relay.wait_for_record(lambda r: r.get("msg") == "model_not_pulled")["backend"] == "ollama"

        headers = {"authorization": f"Bearer {keys.main}"}
        def ask(model: str) -> raw_http.Response:
            return raw_http.request("POST", relay.url("/v1/chat/completions"), headers=headers,
                                    json_body={"model": model, "messages": USER})
        # Known missing: not called at all (no 404 round trip, no failure against the circuit).
        answer = ask("qwen")
        assert answer.status == 200 and answer.header("x-relay-backend") == "cloud"
        assert answer.header("x-relay-attempts") == "1"
        refused = ask("qwen-local")
        assert refused.status == 503 and refused.json()["error"]["code"] == "upstream_unavailable"
        assert "ollama: model not pulled" in refused.json()["error"]["message"]
        assert "qwen2.5:7b" not in refused.text
        assert ask("llama").header("x-relay-backend") == "ollama", "the backend still serves what it has"
        assert server.api_requests("/api/chat")[-1].json["model"] == "llama3.2"
        assert len(server.api_requests()) == 1
        metrics = raw_http.request("GET", relay.url("/metrics")).text
        assert any('reason="not_pulled"' in line and 'model="qwen"' in line and float(line.rsplit(" ", 1)[1]) == 1
                   for line in metrics.splitlines() if line.startswith("relay_fallbacks_total{")), metrics

        # `ollama pull qwen2.5:7b`: the next health check sees it and Ollama serves it again.
        server.pull("qwen2.5:7b")
        _wait_for(lambda: "not_pulled" not in _readyz(relay)[1]["backends"]["ollama"])
        answer = ask("qwen")
        assert answer.status == 200 and answer.header("x-relay-backend") == "ollama"
        assert relay.wait_for_record(lambda r: r.get("msg") == "models_pulled")["backend"] == "ollama"
