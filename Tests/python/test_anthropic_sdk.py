"""Anthropic's Messages API through Relay, with the official `anthropic` SDK (SPEC §8).

- passthrough: the real llama-server (`apis: [chat, messages]`), which serves /v1/messages itself;
- translation: an OpenAI-chat stub (vLLM's wire format) and an Ollama stub, which do not;
- a failing native backend falling back to a chat backend, translated;
- each error the SDK raises, in Anthropic's shape, with `anthropic-ratelimit-*` headers.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

import anthropic
import pytest

import raw_http
from llama_server import UPSTREAM_MODEL
from relay_configs import Keys
from relay_process import RelayProcess, key_hash
from stub_ollama import StubOllama
from stub_upstream import StubUpstream

REAL_ALIAS = "smollm2"
QUESTION = [{"role": "user", "content": "What is the capital of France? Answer in one short sentence."}]
WEATHER_TOOL = {
    "name": "get_weather",
    "description": "The weather in a city.",
    "input_schema": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]},
}


def vllm(url: str, **extra: Any) -> dict[str, Any]:
    return {"type": "vllm", "base_url": url, "health_path": None, "request_timeout_s": 120,
            "first_byte_timeout_s": 120} | extra


@pytest.fixture(scope="module")
def stubs() -> Iterator[tuple[StubUpstream, StubOllama]]:
    with StubUpstream() as chat, StubOllama(pulled=["qwen2.5:7b"]) as ollama:
        yield chat, ollama


@pytest.fixture(scope="module")
def relay(llama_server: str, stubs: tuple[StubUpstream, StubOllama], keys: Keys,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayProcess]:
    chat, ollama = stubs
    config = {
        "server": {"drain_delay_s": 0, "shutdown_grace_s": 5},
        "backends": {
            "llama": vllm(llama_server, apis=["chat", "messages"]),
            "chat-stub": vllm(chat.base_url),
            # Says it serves Messages, but the stub has no /v1/messages: every call fails (404).
            "broken-native": vllm(chat.base_url, apis=["messages"]),
            "ollama": {"type": "ollama", "base_url": ollama.base_url, "health_path": None},
        },
        "models": {
            REAL_ALIAS: {"backend": "llama", "upstream_model": UPSTREAM_MODEL},
            "claude-on-chat": {"backend": "chat-stub", "upstream_model": "stub-chat-1"},
            "claude-on-ollama": {"backend": "ollama", "upstream_model": "qwen2.5:7b"},
            "native-then-chat": {"backend": "broken-native", "upstream_model": "stub-chat-1",
                                 "fallbacks": [{"backend": "chat-stub", "upstream_model": "stub-chat-1"}]},
        },
        "api_keys": [
            {"name": "anthropic-user", "hash": key_hash(keys.main), "scopes": ["*"]},
            {"name": "one-a-minute", "hash": key_hash(keys.other), "scopes": ["*"], "limits": {"rpm": 1}},
        ],
    }
    process = RelayProcess(config, tmp_path_factory.mktemp("relay-anthropic"))
    process.start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def client(relay: RelayProcess, keys: Keys) -> Iterator[anthropic.Anthropic]:
    # The two lines an Anthropic user changes: the base URL and the key.
    with anthropic.Anthropic(base_url=relay.url(""), api_key=keys.main, max_retries=0, timeout=120) as client:
        yield client


def access_line(relay: RelayProcess, response: Any) -> dict[str, Any]:
    return relay.wait_for_access_line(response.headers["x-request-id"])


# ---- passthrough: llama-server serves Messages itself ------------------------------------------


def test_a_message_passes_through_to_a_server_that_speaks_messages(client, relay: RelayProcess) -> None:
    raw = client.messages.with_raw_response.create(
        model=REAL_ALIAS, max_tokens=24, messages=QUESTION, extra_body={"temperature": 0})
    message = raw.parse()
    assert message.type == "message" and message.role == "assistant"
    assert message.model == REAL_ALIAS, "the alias is put back; the upstream's name never shows"
    assert message.content[0].type == "text" and message.content[0].text.strip()
    assert message.usage.input_tokens > 0 and message.usage.output_tokens > 0
    line = access_line(relay, raw)
    assert line["backend"] == "llama" and line["status"] == 200 and line["api"] == "messages"
    assert "usage_estimated" not in line
    assert line["completion_tokens"] == message.usage.output_tokens
    assert UPSTREAM_MODEL not in raw.http_response.text


def test_a_streamed_message_passes_through_with_real_usage(client, relay: RelayProcess) -> None:
    with client.messages.stream(model=REAL_ALIAS, max_tokens=24, messages=QUESTION, extra_body={"temperature": 0}) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
        request_id = stream.response.headers["x-request-id"]
    assert text.strip() and final.content[0].text == text
    assert final.model == REAL_ALIAS and final.stop_reason in ("end_turn", "max_tokens")
    line = relay.wait_for_access_line(request_id)
    assert line["stream"] is True and "usage_estimated" not in line
    assert line["completion_tokens"] == final.usage.output_tokens > 0


def test_count_tokens_is_the_servers_own_count(client) -> None:
    counted = client.messages.count_tokens(model=REAL_ALIAS, messages=QUESTION)
    longer = client.messages.count_tokens(model=REAL_ALIAS, messages=QUESTION + [
        {"role": "assistant", "content": "Paris."}, {"role": "user", "content": "And of Italy, and of Spain?"}])
    assert 0 < counted.input_tokens < longer.input_tokens


# ---- translation: chat and Ollama backends ---------------------------------------------------


@pytest.mark.parametrize("model", ["claude-on-chat", "claude-on-ollama"])
def test_a_message_is_translated_for_a_backend_without_messages(client, relay: RelayProcess, model: str) -> None:
    raw = client.messages.with_raw_response.create(
        model=model, max_tokens=50, system="You are terse.",
        messages=[{"role": "user", "content": "hi there"}], stop_sequences=["never"])
    message = raw.parse()
    assert message.model == model and message.type == "message"
    assert message.content[0].type == "text" and message.content[0].text
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens > 0 and message.usage.output_tokens > 0
    assert access_line(relay, raw)["status"] == 200


def test_the_translated_chat_request_carries_every_field(client, stubs) -> None:
    chat, _ = stubs
    client.messages.create(
        model="claude-on-chat", max_tokens=50, system=[{"type": "text", "text": "Be brief."}],
        messages=[{"role": "user", "content": [
            {"type": "text", "text": "What is this?"},
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}}]}],
        stop_sequences=["END"], metadata={"user_id": "user-7"},
        # Sampling fields the SDK no longer names, which self-hosted models still take.
        extra_body={"temperature": 0.5, "top_p": 0.9, "top_k": 40})
    sent = chat.api_requests()[-1].json
    assert sent["model"] == "stub-chat-1" and sent["max_tokens"] == 50
    assert sent["messages"][0] == {"role": "system", "content": "Be brief."}
    parts = sent["messages"][1]["content"]
    assert parts[0] == {"type": "text", "text": "What is this?"}
    assert parts[1] == {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
    assert (sent["temperature"], sent["top_p"], sent["top_k"]) == (0.5, 0.9, 40)
    assert sent["stop"] == ["END"] and sent["user"] == "user-7"


@pytest.mark.parametrize("model", ["claude-on-chat", "claude-on-ollama"])
def test_a_translated_stream_is_anthropics_event_stream(client, relay: RelayProcess, model: str) -> None:
    with client.messages.stream(model=model, max_tokens=50, messages=[{"role": "user", "content": "stream me"}]) as s:
        events = [event.type for event in s]
        final = s.get_final_message()
        request_id = s.response.headers["x-request-id"]
    assert events[0] == "message_start"
    assert "content_block_start" in events and "content_block_delta" in events
    assert events[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert final.model == model and final.content[0].text and final.stop_reason == "end_turn"
    assert final.usage.output_tokens > 0
    line = relay.wait_for_access_line(request_id)
    assert line["status"] == 200 and line["stream"] is True


@pytest.mark.parametrize("stream", [False, True])
def test_a_tool_round_trip_through_translation(client, stubs, stream: bool) -> None:
    chat, _ = stubs
    question = {"role": "user", "content": "weather in Paris?"}
    if stream:
        with client.messages.stream(model="claude-on-chat", max_tokens=100, messages=[question],
                                    tools=[WEATHER_TOOL], tool_choice={"type": "auto"}) as s:
            first = s.get_final_message()
    else:
        first = client.messages.create(model="claude-on-chat", max_tokens=100, messages=[question],
                                       tools=[WEATHER_TOOL], tool_choice={"type": "auto"})
    assert first.stop_reason == "tool_use"
    call = next(block for block in first.content if block.type == "tool_use")
    assert call.name == "get_weather" and call.input == {"query": "weather in Paris?"}
    sent = chat.api_requests()[-1].json
    assert sent["tools"][0]["function"]["name"] == "get_weather" and sent["tool_choice"] == "auto"
    assert sent["tools"][0]["function"]["parameters"] == WEATHER_TOOL["input_schema"]

    answer = client.messages.create(model="claude-on-chat", max_tokens=100, tools=[WEATHER_TOOL], messages=[
        question,
        {"role": "assistant", "content": [block.model_dump(exclude_none=True) for block in first.content]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "sunny, 21 C"}]},
    ])
    assert answer.content[0].text == "The tool said: sunny, 21 C" and answer.stop_reason == "end_turn"
    history = chat.api_requests()[-1].json["messages"]
    assert history[1]["tool_calls"][0]["id"] == call.id
    assert json.loads(history[1]["tool_calls"][0]["function"]["arguments"]) == {"query": "weather in Paris?"}
    assert history[2] == {"role": "tool", "tool_call_id": call.id, "content": "sunny, 21 C"}


def test_count_tokens_without_a_native_backend_is_relays_estimate(client, stubs) -> None:
    chat, _ = stubs
    before = len(chat.api_requests())
    counted = client.messages.count_tokens(model="claude-on-chat", messages=QUESTION)
    assert counted.input_tokens > 0
    assert len(chat.api_requests()) == before, "nothing is sent to a backend to count"


def test_a_failing_native_backend_falls_back_to_a_chat_backend_translated(client, relay: RelayProcess) -> None:
    raw = client.messages.with_raw_response.create(
        model="native-then-chat", max_tokens=50, messages=[{"role": "user", "content": "fall back"}])
    message = raw.parse()
    assert message.model == "native-then-chat" and "fall back" in message.content[0].text
    assert raw.headers["x-relay-backend"] == "chat-stub" and raw.headers["x-relay-attempts"] == "2"
    line = access_line(relay, raw)
    assert line["fallback_from"] == "broken-native"


# ---- errors: Anthropic's shape, Anthropic's classes --------------------------------------------


def test_a_wrong_key_is_an_authentication_error(relay: RelayProcess) -> None:
    with anthropic.Anthropic(base_url=relay.url(""), api_key="rk-wrong", max_retries=0) as client:
        with pytest.raises(anthropic.AuthenticationError) as raised:
            client.messages.create(model="claude-on-chat", max_tokens=5, messages=QUESTION)
    assert raised.value.status_code == 401
    assert raised.value.body == {"type": "error", "error": {"type": "authentication_error",
                                                            "message": raised.value.body["error"]["message"]}}
    assert "rk-wrong" not in raised.value.response.text


def test_an_unknown_model_is_not_found(client) -> None:
    with pytest.raises(anthropic.NotFoundError) as raised:
        client.messages.create(model="no-such-model", max_tokens=5, messages=QUESTION)
    assert raised.value.body["type"] == "error" and raised.value.body["error"]["type"] == "not_found_error"


def test_a_field_that_cannot_be_translated_is_a_bad_request_naming_it(client, stubs) -> None:
    chat, _ = stubs
    before = len(chat.api_requests())
    with pytest.raises(anthropic.BadRequestError) as raised:
        client.messages.create(model="claude-on-chat", max_tokens=5, messages=QUESTION,
                               container="ctr_1")
    assert raised.value.body["error"]["type"] == "invalid_request_error"
    assert "container" in raised.value.body["error"]["message"]
    assert len(chat.api_requests()) == before


def test_a_rate_limit_is_a_rate_limit_error_with_anthropics_headers(relay: RelayProcess, keys: Keys) -> None:
    with anthropic.Anthropic(base_url=relay.url(""), api_key=keys.other, max_retries=0) as client:
        first = client.messages.with_raw_response.create(model="claude-on-chat", max_tokens=5, messages=QUESTION)
        assert first.headers["anthropic-ratelimit-requests-limit"] == "1"
        assert first.headers["anthropic-ratelimit-requests-remaining"] == "0"
        assert first.headers["anthropic-ratelimit-requests-reset"].endswith("Z")
        with pytest.raises(anthropic.RateLimitError) as raised:
            client.messages.create(model="claude-on-chat", max_tokens=5, messages=QUESTION)
    assert raised.value.body["error"]["type"] == "rate_limit_error"
    assert int(raised.value.response.headers["retry-after"]) >= 1


def test_the_key_also_works_as_a_bearer_token_and_chat_errors_stay_openai_shaped(relay: RelayProcess,
                                                                                   keys: Keys) -> None:
    answer = raw_http.request("POST", relay.url("/v1/messages"),
                              json_body={"model": "claude-on-chat", "max_tokens": 5, "messages": QUESTION},
                              headers={"authorization": f"Bearer {keys.main}"})
    assert answer.status == 200 and answer.json()["type"] == "message"
    refused = raw_http.request("POST", relay.url("/v1/chat/completions"),
                               json_body={"model": "claude-on-chat", "messages": QUESTION},
                               headers={"x-api-key": keys.main})
    assert refused.status == 401 and refused.json()["error"]["code"] == "invalid_api_key"


def test_a_passed_through_request_is_the_clients_with_only_the_model_swapped(client, stubs) -> None:
    chat, _ = stubs
    with client.messages.stream(model="native-then-chat", max_tokens=50, system="Be brief.",
                                messages=[{"role": "user", "content": "stream it"}],
                                extra_headers={"anthropic-beta": "some-feature"}) as s:
        assert s.get_final_message().content[0].text
    native = [r for r in chat.api_requests() if r.path == "/v1/messages"][-1]
    assert native.json == {"model": "stub-chat-1", "max_tokens": 50, "system": "Be brief.",
                           "messages": [{"role": "user", "content": "stream it"}], "stream": True}
    assert native.header("anthropic-beta") == "some-feature" and native.header("x-api-key") is None
