"""Fixtures for Relay's end-to-end tests: a stub upstream, the relay binary in front of it.

- ``stub``: the stub OpenAI-compatible upstream (``stub_upstream.StubUpstream``), reset per test.
- ``keys``: the API keys the standard config knows (``keys.main`` and its scopes, ``keys.other``).
- ``relay``: one ``relay serve`` for the session with the standard config (``standard_config``)
  in front of the stub; ``relay.access_lines(...)`` reads its access log from stdout.
- ``start_relay(config, process_type=RelayProcess, **kw)``: a relay of a test's own, stopped
  (SIGTERM) when the test ends.
- ``client``: an ``openai.OpenAI`` client on ``relay`` with ``keys.main``.
- ``llama_server``: one real llama-server (SmolLM2) for the session, its base URL.

The binary is ``.build/debug/relay``, or ``$RELAY_BIN``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from llama_server import running_llama_server
from relay_configs import MAIN_SCOPES, Keys, standard_config
from relay_process import RelayProcess, new_key
from stub_upstream import StubUpstream

@pytest.fixture(scope="session")
def keys() -> Keys:
    return Keys(main=new_key(), other=new_key(), main_scopes=tuple(MAIN_SCOPES))


@pytest.fixture(scope="session")
def stub_server() -> Iterator[StubUpstream]:
    with StubUpstream() as server:
        yield server


@pytest.fixture
def stub(stub_server: StubUpstream) -> StubUpstream:
    stub_server.reset()
    return stub_server


@pytest.fixture(scope="session")
def relay(stub_server: StubUpstream, keys: Keys, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayProcess]:
    process = RelayProcess(standard_config(stub_server.base_url, keys), tmp_path_factory.mktemp("relay"))
    process.start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def start_relay(tmp_path: Path) -> Iterator[Callable[..., RelayProcess]]:
    started: list[RelayProcess] = []

    def start(config: dict[str, Any], process_type: type[RelayProcess] = RelayProcess, **kwargs: Any) -> RelayProcess:
        process = process_type(config, tmp_path / f"relay-{len(started)}", **kwargs)
        started.append(process)
        return process.start()

    yield start
    for process in started:
        process.stop()


@pytest.fixture
def client(relay: RelayProcess, keys: Keys):
    import openai

    with openai.OpenAI(base_url=relay.url("/v1"), api_key=keys.main, max_retries=0, timeout=30) as sdk_client:
        yield sdk_client


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """On failure, attach the stdout/stderr of every relay the test used to the report."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    for name, value in getattr(item, "funcargs", {}).items():
        if isinstance(value, RelayProcess):
            report.sections.append((f"relay ({name})", value.diagnostics()))


def pytest_report_header(config: pytest.Config) -> list[str]:
    from relay_process import relay_binary

    return [f"relay binary: {relay_binary()}" + ("" if relay_binary().is_file() else " (missing)"),
            f"CI: {os.environ.get('CI', '')}"]


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One real llama-server for the whole run (llama_server.py)."""
    with running_llama_server(tmp_path_factory.mktemp("llama")) as base_url:
        yield base_url
