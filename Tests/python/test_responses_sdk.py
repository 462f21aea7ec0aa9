"""OpenAI's Responses API through Relay, with the official `openai` SDK and the OpenAI Agents SDK
(SPEC §8).

- passthrough: the real llama-server (`apis: [chat, responses]`), which serves /v1/responses
  itself but refuses `previous_response_id`: a follow-up that works proves Relay kept the
  conversation and sent it;
- translation: an OpenAI-chat stub (vLLM's wire format) that answers "Hello! You said: <the last
  user text>" and calls the first tool of a request that has tools;
- the Agents SDK (`agents`) running a tool-calling agent over Relay;
- state: `store: false`, ids private to their key, errors in OpenAI's shape;
- two replicas sharing one redis-server: a conversation begun on one continues on the other;
- two native backends balanced: a conversation's follow-ups go to the backend that began it,
  and a 502 naming it when it cannot answer.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any, Iterator

import agents
import openai
import pytest

from llama_server import UPSTREAM_MODEL
from redis_server import RedisServer
from relay_configs import Keys
from relay_process import RelayProcess, free_port, key_hash
from stub_upstream import StubUpstream

REAL_ALIAS = "smollm2"
BALANCED = "smollm2-balanced"
ON_CHAT = "on-chat"
QUESTION = "What is the capital of France? Answer in one short sentence."
# The model is tiny and the machine slow: short answers, greedy sampling.
SHORT = {"max_output_tokens": 8, "temperature": 0}
# Where only the routing matters, not the answer.
TINY = {"max_output_tokens": 4, "temperature": 0}
WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city.",
    "parameters": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]},
}


def vllm(url: str, **extra: Any) -> dict[str, Any]:
    return {"type": "vllm", "base_url": url, "health_path": None, "request_timeout_s": 120,
            "first_byte_timeout_s": 120} | extra


def native(url: str) -> dict[str, Any]:
    """A llama-server backend: Responses requests are passed through."""
    return vllm(url, apis=["chat", "responses"])


def users(keys: Keys) -> list[dict[str, Any]]:
    return [{"name": "responses-user", "hash": key_hash(keys.main), "scopes": ["*"]},
            {"name": "someone-else", "hash": key_hash(keys.other), "scopes": ["*"]}]


def start(config: dict[str, Any], workdir: Path) -> RelayProcess:
    return RelayProcess({"server": {"drain_delay_s": 0, "shutdown_grace_s": 5}} | config, workdir).start()


def sdk(relay: RelayProcess, key: str) -> openai.OpenAI:
    # The two lines an OpenAI user changes: the base URL and the key.
    return openai.OpenAI(base_url=relay.url("/v1"), api_key=key, max_retries=0, timeout=120)


def request_id() -> tuple[str, dict[str, str]]:
    """A request id of the test's own, and the header that sends it (Relay keeps a client's id)."""
    rid = str(uuid.uuid4())
    return rid, {"x-request-id": rid}


@pytest.fixture(scope="module")
def chat() -> Iterator[StubUpstream]:
    with StubUpstream() as stub:
        yield stub


@pytest.fixture(scope="module")
def stub_relay(chat: StubUpstream, keys: Keys, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayProcess]:
    relay = start({"backends": {"chat-stub": vllm(chat.base_url)},
                   "models": {ON_CHAT: {"backend": "chat-stub", "upstream_model": "stub-chat-1"}},
                   "api_keys": users(keys)}, tmp_path_factory.mktemp("relay-responses-stub"))
    try:
        yield relay
    finally:
        relay.stop()


@pytest.fixture(scope="module")
def real_relay(llama_server: str, keys: Keys, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayProcess]:
    relay = start({
        "backends": {"llama": native(llama_server),
                     # Two names for the same server, so which one served a request shows only in the log.
                     "llama-a": native(llama_server), "llama-b": native(llama_server)},
        "models": {REAL_ALIAS: {"backend": "llama", "upstream_model": UPSTREAM_MODEL},
                   BALANCED: {"backend": ["llama-a", "llama-b"], "upstream_model": UPSTREAM_MODEL}},
        "api_keys": users(keys),
    }, tmp_path_factory.mktemp("relay-responses-real"))
    try:
        yield relay
    finally:
        relay.stop()


@pytest.fixture
def client(stub_relay: RelayProcess, keys: Keys) -> Iterator[openai.OpenAI]:
    with sdk(stub_relay, keys.main) as c:
        yield c


@pytest.fixture
def real_client(real_relay: RelayProcess, keys: Keys) -> Iterator[openai.OpenAI]:
    with sdk(real_relay, keys.main) as c:
        yield c


@pytest.fixture(scope="module")
def redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis-responses")).start()
    try:
        yield server
    finally:
        server.kill()


# ---- passthrough: llama-server serves /v1/responses itself -------------------------------------


@pytest.mark.real_model
def test_a_response_passes_through_with_the_alias_and_real_usage(real_client, real_relay: RelayProcess) -> None:
    rid, header = request_id()
    raw = real_client.responses.with_raw_response.create(model=REAL_ALIAS, input=QUESTION, extra_headers=header,
                                                         **SHORT)
    response = raw.parse()
    assert response.object == "response" and response.status in ("completed", "incomplete")
    assert response.model == REAL_ALIAS, "the alias is put back; the upstream's name never shows"
    assert response.output_text.strip()
    assert response.usage.input_tokens > 0 and response.usage.output_tokens > 0
    assert UPSTREAM_MODEL not in raw.http_response.text
    line = real_relay.wait_for_access_line(rid)
    assert (line["backend"], line["api"], line["status"]) == ("llama", "responses", 200)


@pytest.mark.real_model
def test_a_streamed_response_passes_through_to_the_sdks_stream_helper(real_client) -> None:
    with real_client.responses.stream(model=REAL_ALIAS, input=QUESTION, **SHORT) as stream:
        events = list(stream)
        final = stream.get_final_response()
    kinds = [event.type for event in events]
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    assert "response.output_text.delta" in kinds
    deltas = "".join(event.delta for event in events if event.type == "response.output_text.delta")
    assert deltas.strip() and final.output_text == deltas
    assert final.model == REAL_ALIAS and final.usage.output_tokens > 0
    # llama-server's response.created and response.in_progress name no model; the others name the alias.
    assert {event.response.model for event in events if hasattr(event, "response")} - {None} == {REAL_ALIAS}


@pytest.mark.real_model
def test_a_passed_through_conversation_continues_and_is_kept(real_client) -> None:
    first = real_client.responses.create(model=REAL_ALIAS, input=QUESTION, **SHORT)
    # llama-server refuses previous_response_id: this works only if Relay sent the history.
    second = real_client.responses.create(model=REAL_ALIAS, input="And of Italy?", previous_response_id=first.id,
                                          **SHORT)
    assert second.id != first.id and second.output_text.strip()
    assert second.usage.input_tokens > first.usage.input_tokens + first.usage.output_tokens, \
        "the first question and its answer went to the model with the second"

    with real_client.responses.stream(model=REAL_ALIAS, input="And of Spain?", previous_response_id=second.id,
                                      **SHORT) as stream:
        third = stream.get_final_response()
    assert third.usage.input_tokens > second.usage.input_tokens

    kept = real_client.responses.retrieve(second.id)
    assert kept.id == second.id and kept.output_text == second.output_text and kept.model == REAL_ALIAS
    assert real_client.responses.retrieve(third.id).output_text == third.output_text, "a streamed one is kept too"

    real_client.responses.delete(second.id)
    with pytest.raises(openai.NotFoundError):
        real_client.responses.retrieve(second.id)
    with pytest.raises(openai.BadRequestError) as raised:
        real_client.responses.create(model=REAL_ALIAS, input="Go on", previous_response_id=second.id, **SHORT)
    assert raised.value.param == "previous_response_id"
    assert real_client.responses.retrieve(first.id).id == first.id, "deleting one response leaves the others"


@pytest.mark.real_model
def test_a_passed_through_follow_up_names_its_previous_response(real_client) -> None:
    first = real_client.responses.create(model=REAL_ALIAS, input=QUESTION, **TINY)
    second = real_client.responses.create(model=REAL_ALIAS, input="And of Italy?", previous_response_id=first.id,
                                          **TINY)
    assert second.previous_response_id == first.id
    assert real_client.responses.retrieve(second.id).previous_response_id == first.id


# ---- translation: a backend that speaks only chat ----------------------------------------------


def test_a_response_is_translated_for_a_chat_backend(client, chat: StubUpstream, stub_relay: RelayProcess) -> None:
    rid, header = request_id()
    response = client.responses.create(model=ON_CHAT, input="hi there", max_output_tokens=50, temperature=0.5,
                                       top_p=0.9, extra_headers=header)
    assert response.object == "response" and response.status == "completed"
    assert response.model == ON_CHAT and response.output_text == "Hello! You said: hi there"
    message = next(item for item in response.output if item.type == "message")
    assert message.role == "assistant" and message.content[0].type == "output_text"
    assert response.usage.input_tokens > 0 and response.usage.output_tokens > 0
    assert response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens
    sent = chat.api_requests()[-1].json
    assert sent["model"] == "stub-chat-1" and sent["messages"] == [{"role": "user", "content": "hi there"}]
    assert (sent["max_tokens"], sent["temperature"], sent["top_p"]) == (50, 0.5, 0.9)
    line = stub_relay.wait_for_access_line(rid)
    assert (line["backend"], line["api"], line["status"]) == ("chat-stub", "responses", 200)


def test_a_translated_stream_is_the_responses_event_stream(client) -> None:
    with client.responses.stream(model=ON_CHAT, input="stream me") as stream:
        events = list(stream)
        final = stream.get_final_response()
    kinds = [event.type for event in events]
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    assert "response.output_item.added" in kinds and "response.output_text.done" in kinds
    deltas = "".join(event.delta for event in events if event.type == "response.output_text.delta")
    assert deltas == final.output_text == "Hello! You said: stream me"
    assert final.model == ON_CHAT and final.usage.output_tokens > 0
    assert client.responses.retrieve(final.id).output_text == final.output_text


def test_a_translated_follow_up_sends_the_whole_history(client, chat: StubUpstream) -> None:
    first = client.responses.create(model=ON_CHAT, instructions="Be terse.", input="first question")
    assert chat.api_requests()[-1].json["messages"] == [
        {"role": "system", "content": "Be terse."}, {"role": "user", "content": "first question"}]
    with client.responses.stream(model=ON_CHAT, input="second question", previous_response_id=first.id) as stream:
        second = stream.get_final_response()
    assert second.output_text == "Hello! You said: second question"
    assert second.previous_response_id == first.id
    third = client.responses.create(model=ON_CHAT, instructions="Be kind.", input="third question",
                                    previous_response_id=second.id)
    assert third.output_text == "Hello! You said: third question"
    # The instructions are the request's own: the first turn's are not carried on.
    assert chat.api_requests()[-1].json["messages"] == [
        {"role": "system", "content": "Be kind."},
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": "Hello! You said: first question"},
        {"role": "user", "content": "second question"},
        {"role": "assistant", "content": "Hello! You said: second question"},
        {"role": "user", "content": "third question"},
    ]


@pytest.mark.parametrize("stream", [False, True])
def test_a_function_call_round_trip_through_translation(client, chat: StubUpstream, stream: bool) -> None:
    if stream:
        with client.responses.stream(model=ON_CHAT, input="weather in Paris?", tools=[WEATHER_TOOL]) as s:
            first = s.get_final_response()
    else:
        first = client.responses.create(model=ON_CHAT, input="weather in Paris?", tools=[WEATHER_TOOL])
    sent = chat.api_requests()[-1].json
    assert sent["tools"] == [{"type": "function", "function": {
        "name": "get_weather", "description": "The weather in a city.", "parameters": WEATHER_TOOL["parameters"]}}]
    calls = [item for item in first.output if item.type == "function_call"]
    assert len(calls) == 1 and calls[0].name == "get_weather"
    assert json.loads(calls[0].arguments) == {"query": "weather in Paris?"}
    call_id = calls[0].call_id

    answer = client.responses.create(
        model=ON_CHAT, previous_response_id=first.id, tools=[WEATHER_TOOL],
        input=[{"type": "function_call_output", "call_id": call_id, "output": "sunny, 21 C"}])
    assert answer.output_text == "The tool said: sunny, 21 C"
    history = chat.api_requests()[-1].json["messages"]
    assert history[0] == {"role": "user", "content": "weather in Paris?"}
    assert history[1]["role"] == "assistant" and history[1]["tool_calls"][0]["id"] == call_id
    assert history[1]["tool_calls"][0]["function"]["name"] == "get_weather"
    assert json.loads(history[1]["tool_calls"][0]["function"]["arguments"]) == {"query": "weather in Paris?"}
    assert history[2] == {"role": "tool", "tool_call_id": call_id, "content": "sunny, 21 C"}
    assert len(history) == 3


# ---- the OpenAI Agents SDK ---------------------------------------------------------------------


def agent_model(relay: RelayProcess, key: str, model: str) -> agents.OpenAIResponsesModel:
    return agents.OpenAIResponsesModel(
        model=model, openai_client=openai.AsyncOpenAI(base_url=relay.url("/v1"), api_key=key, max_retries=0,
                                                      timeout=120))


def test_an_agent_calls_its_tool_through_a_translated_backend(stub_relay: RelayProcess, keys: Keys,
                                                              chat: StubUpstream) -> None:
    agents.set_tracing_disabled(True)
    calls: list[str] = []

    @agents.function_tool
    def get_weather(query: str) -> str:
        """The weather in a city."""
        calls.append(query)
        return f"sunny in {query}"

    agent = agents.Agent(name="weather", instructions="Answer with the weather.", tools=[get_weather],
                         model=agent_model(stub_relay, keys.main, ON_CHAT))
    result = agents.Runner.run_sync(agent, "weather in Paris?")
    assert calls == ["weather in Paris?"], "the stub's tool call reached the agent's tool"
    assert result.final_output == "The tool said: sunny in weather in Paris?"
    last = chat.api_requests()[-1].json["messages"]
    assert last[0] == {"role": "system", "content": "Answer with the weather."}
    assert last[-1]["role"] == "tool" and last[-1]["content"] == "sunny in weather in Paris?"


@pytest.mark.real_model
def test_an_agent_runs_on_a_passed_through_backend(real_relay: RelayProcess, keys: Keys) -> None:
    agents.set_tracing_disabled(True)
    agent = agents.Agent(name="plain", instructions="Answer in one short sentence.",
                         model=agent_model(real_relay, keys.main, REAL_ALIAS),
                         model_settings=agents.ModelSettings(max_tokens=8, temperature=0))
    result = agents.Runner.run_sync(agent, QUESTION)
    assert isinstance(result.final_output, str) and result.final_output.strip()


# ---- state and errors --------------------------------------------------------------------------


def test_store_false_keeps_nothing(client) -> None:
    response = client.responses.create(model=ON_CHAT, input="forget me", store=False)
    assert response.output_text == "Hello! You said: forget me"
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(response.id)
    with pytest.raises(openai.BadRequestError) as raised:
        client.responses.create(model=ON_CHAT, input="and then?", previous_response_id=response.id)
    assert raised.value.param == "previous_response_id"
    assert raised.value.message.endswith(f"Previous response with id '{response.id}' not found.")
    assert raised.value.type == "invalid_request_error"


def test_a_response_belongs_to_the_key_that_made_it(client, stub_relay: RelayProcess, keys: Keys,
                                                    chat: StubUpstream) -> None:
    mine = client.responses.create(model=ON_CHAT, input="my secret")
    with sdk(stub_relay, keys.other) as other:
        with pytest.raises(openai.NotFoundError):
            other.responses.retrieve(mine.id)
        with pytest.raises(openai.NotFoundError):
            other.responses.delete(mine.id)
        before = len(chat.api_requests())
        with pytest.raises(openai.BadRequestError) as raised:
            other.responses.create(model=ON_CHAT, input="tell me", previous_response_id=mine.id)
        assert raised.value.param == "previous_response_id"
        assert len(chat.api_requests()) == before
    assert client.responses.retrieve(mine.id).output_text == "Hello! You said: my secret"


def test_a_built_in_tool_a_chat_backend_lacks_is_a_bad_request_naming_it(client, chat: StubUpstream) -> None:
    before = len(chat.api_requests())
    with pytest.raises(openai.BadRequestError) as raised:
        client.responses.create(model=ON_CHAT, input="search the web", tools=[{"type": "web_search"}])
    assert raised.value.type == "invalid_request_error"
    assert raised.value.param is not None and raised.value.param.startswith("tools")
    assert "web_search" in raised.value.message
    assert len(chat.api_requests()) == before, "nothing reached the backend"


def test_an_unknown_model_and_an_unknown_id_are_not_found(client) -> None:
    with pytest.raises(openai.NotFoundError) as raised:
        client.responses.create(model="no-such-model", input="hi")
    assert raised.value.code == "model_not_found"
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve("resp_" + uuid.uuid4().hex)
    with pytest.raises(openai.NotFoundError):
        client.responses.delete("resp_" + uuid.uuid4().hex)


# ---- two replicas sharing one Redis ------------------------------------------------------------


@pytest.fixture(scope="module")
def replicas(redis: RedisServer, chat: StubUpstream, keys: Keys,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RelayProcess, RelayProcess]]:
    config = {"redis_url": redis.url, "backends": {"chat-stub": vllm(chat.base_url)},
              "models": {ON_CHAT: {"backend": "chat-stub", "upstream_model": "stub-chat-1"}},
              "api_keys": users(keys)}
    a = start(config, tmp_path_factory.mktemp("relay-responses-a"))
    try:
        b = start(config, tmp_path_factory.mktemp("relay-responses-b"))
        try:
            yield a, b
        finally:
            b.stop()
    finally:
        a.stop()


def test_a_conversation_begun_on_one_replica_continues_on_another(replicas, keys: Keys, chat: StubUpstream) -> None:
    a, b = replicas
    with sdk(a, keys.main) as on_a, sdk(b, keys.main) as on_b:
        first = on_a.responses.create(model=ON_CHAT, input="asked on A")
        second = on_b.responses.create(model=ON_CHAT, input="asked on B", previous_response_id=first.id)
        assert second.output_text == "Hello! You said: asked on B"
        assert chat.api_requests()[-1].json["messages"] == [
            {"role": "user", "content": "asked on A"},
            {"role": "assistant", "content": "Hello! You said: asked on A"},
            {"role": "user", "content": "asked on B"}]
        assert on_b.responses.retrieve(first.id).output_text == first.output_text
        assert on_a.responses.retrieve(second.id).output_text == second.output_text
        with sdk(b, keys.other) as stranger, pytest.raises(openai.NotFoundError):
            stranger.responses.retrieve(first.id)

        on_b.responses.delete(first.id)
        with pytest.raises(openai.NotFoundError):
            on_a.responses.retrieve(first.id)
        with pytest.raises(openai.BadRequestError) as raised:
            on_a.responses.create(model=ON_CHAT, input="again", previous_response_id=first.id)
        assert raised.value.param == "previous_response_id"


# ---- a passed-through conversation stays on its backend ----------------------------------------


@pytest.mark.real_model
def test_follow_ups_go_to_the_backend_that_began_the_conversation(real_client, real_relay: RelayProcess) -> None:
    homes: dict[str, str] = {}
    for n in range(3):
        rid, header = request_id()
        response = real_client.responses.create(model=BALANCED, input=f"Count to {n + 2}.", extra_headers=header,
                                                **TINY)
        homes[response.id] = real_relay.wait_for_access_line(rid)["backend"]
    assert set(homes.values()) == {"llama-a", "llama-b"}, "both backends began conversations"
    # Follow-ups grouped by home (a, a, b or a, b, b): backends taking turns would alternate them.
    for response_id, home in sorted(homes.items(), key=lambda item: item[1]):
        rid, header = request_id()
        follow_up = real_client.responses.create(model=BALANCED, input="Go on.", previous_response_id=response_id,
                                                 extra_headers=header, **TINY)
        assert follow_up.model == BALANCED
        line = real_relay.wait_for_access_line(rid)
        assert (line["backend"], line["status"]) == (home, 200)


@pytest.mark.real_model
def test_a_conversation_whose_backend_cannot_answer_is_a_502_naming_it(
        llama_server: str, redis: RedisServer, keys: Keys, tmp_path: Path) -> None:
    def config(url: str) -> dict[str, Any]:
        return {"redis_url": redis.url,
                "backends": {"native-a": native(url) | {"connect_timeout_s": 1}},
                "models": {REAL_ALIAS: {"backend": "native-a", "upstream_model": UPSTREAM_MODEL}},
                "api_keys": users(keys)}

    began = start(config(llama_server), tmp_path / "began")
    try:
        with sdk(began, keys.main) as c:
            first = c.responses.create(model=REAL_ALIAS, input=QUESTION, **TINY)
    finally:
        began.stop()
    # The same backend name, now at an address nothing listens on: the conversation's home is gone.
    moved = start(config(f"http://127.0.0.1:{free_port()}"), tmp_path / "moved")
    try:
        with sdk(moved, keys.main) as c:
            assert c.responses.retrieve(first.id).output_text == first.output_text
            rid, header = request_id()
            with pytest.raises(openai.APIStatusError) as raised:
                c.responses.create(model=REAL_ALIAS, input="Go on.", previous_response_id=first.id,
                                   extra_headers=header, **TINY)
        assert raised.value.status_code == 502
        assert "native-a" in raised.value.message
        line = moved.wait_for_access_line(rid)
        assert (line["backend"], line["api"], line["status"]) == ("native-a", "responses", 502)
    finally:
        moved.stop()
