"""End to end with a real model: SmolLM2-135M-Instruct on llama.cpp's `llama-server`, Relay in front.

The server (llama_server.py, the session's ``llama_server`` fixture) has a `/health` that answers
503 while the model loads and 200 once it serves, so the backend keeps the default `health_path`
of its type and Relay checks it as it would in production.
"""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Iterator

import pytest

from llama_server import SLOTS, UPSTREAM_MODEL
from relay_configs import Keys
from relay_process import RelayProcess, key_hash

pytestmark = pytest.mark.real_model

MODEL_ALIAS = "smollm2"
QUESTION = [{"role": "user", "content": "What is the capital of France? Answer in one short sentence."}]
# Seconds between Relay's health checks of llama-server: several rounds within a test.
HEALTH_INTERVAL = 0.25


@pytest.fixture(scope="module")
def real_relay(llama_server: str, keys: Keys, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayProcess]:
    config = {
        "server": {"drain_delay_s": 0, "shutdown_grace_s": 5},
        "backends": {
            "llama": {"type": "vllm", "base_url": llama_server, "max_concurrency": SLOTS,
                      "health_interval_s": HEALTH_INTERVAL, "request_timeout_s": 120, "first_byte_timeout_s": 120},
        },
        "models": {MODEL_ALIAS: {"backend": "llama", "upstream_model": UPSTREAM_MODEL}},
        "api_keys": [{"name": "real", "hash": key_hash(keys.main), "scopes": [MODEL_ALIAS]}],
    }
    process = RelayProcess(config, tmp_path_factory.mktemp("relay-real"))
    process.start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def real_client(real_relay: RelayProcess, keys: Keys):
    import openai

    with openai.OpenAI(base_url=real_relay.url("/v1"), api_key=keys.main, max_retries=0, timeout=120) as client:
        yield client


def test_real_chat_completion(real_client) -> None:
    chat = real_client.chat.completions.create(model=MODEL_ALIAS, messages=QUESTION, max_tokens=32, temperature=0)
    assert chat.model == MODEL_ALIAS
    assert chat.choices[0].message.content.strip(), "the model said something"
    assert chat.usage.prompt_tokens > 0 and chat.usage.completion_tokens > 0


def test_real_stream_with_usage(real_client, real_relay: RelayProcess) -> None:
    raw = real_client.chat.completions.with_raw_response.create(
        model=MODEL_ALIAS, messages=QUESTION, max_tokens=32, temperature=0, stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(raw.parse())
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.strip(), "the stream carried real text"
    assert all(c.model == MODEL_ALIAS for c in chunks)
    usage = [c.usage for c in chunks if c.usage is not None]
    assert len(usage) == 1 and chunks[-1].usage is not None, "the stream ends with the one usage chunk asked for"
    assert usage[0].prompt_tokens > 0 and usage[0].completion_tokens > 0

    # llama-server reports a stream's usage itself, so Relay settles the real counts, not an estimate.
    request_id = raw.headers["x-request-id"]
    line = real_relay.wait_for_record(lambda r: r.get("msg") == "request" and r.get("request_id") == request_id)
    assert "usage_estimated" not in line
    assert (line["prompt_tokens"], line["completion_tokens"]) == (usage[0].prompt_tokens, usage[0].completion_tokens)


def test_real_health_checks_use_the_servers_own_health_path(real_relay: RelayProcess) -> None:
    """vllm's default `health_path`, /health, is llama-server's: its checks keep the backend up and
    never fall back to probing the API, as they do for a server without /health."""
    time.sleep(4 * HEALTH_INTERVAL)
    with urllib.request.urlopen(real_relay.url("/readyz"), timeout=5) as response:
        assert json.load(response)["backends"]["llama"]["state"] == "up"
    assert not [r for r in real_relay.records() if r.get("msg") in ("health_path_not_found", "health_check_rejected")]
