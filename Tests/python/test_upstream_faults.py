"""Upstream faults (issue #10.3): each becomes the right error or fallback, and the pool recovers.

The stub misbehaves on cue by upstream model name (see stub_upstream.py). Each fault is sent
through alias ``f-<fault>`` (backend ``faulty``, no fallback) and ``fb-<fault>`` (backend
``faulty``, then fallback ``spare``); after each, a plain request through ``faulty`` must work,
so a broken connection never stays in the pool.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Iterator

import pytest

import raw_http
from relay_configs import Keys, standard_config
from relay_process import RelayProcess
from stub_upstream import StubUpstream

FAULTS = ["reset-body", "reset-after-0", "reset-after-2", "bad-json", "bad-sse-first", "bad-sse-later",
          "length-long", "length-short", "silent", "error-200"]
TIMEOUT_S = 1


def faults_config(stub_url: str, keys: Keys) -> dict:
    config = standard_config(stub_url, keys)
    timeouts = {"request_timeout_s": TIMEOUT_S, "first_byte_timeout_s": TIMEOUT_S, "idle_timeout_s": TIMEOUT_S}
    config["backends"]["faulty"] = {"type": "vllm", "base_url": stub_url, "max_concurrency": 8,
                                    "circuit": {"failures": 1000, "cooldown_s": 1}, **timeouts}
    config["backends"]["spare"] = {"type": "vllm", "base_url": stub_url, "max_concurrency": 4,
                                   "circuit": {"failures": 1000, "cooldown_s": 1}}
    config["backends"]["closing"] = {"type": "vllm", "base_url": stub_url, "max_concurrency": 8,
                                     "circuit": {"failures": 1000, "cooldown_s": 1}}
    config["models"]["faulty-ok"] = {"backend": "faulty", "upstream_model": "stub-chat-1"}
    config["models"]["closing-ok"] = {"backend": "closing", "upstream_model": "stub-chat-1"}
    for every in (1, 3, 1_000_000):
        config["models"][f"close-after-{every}"] = {"backend": "closing", "upstream_model": f"close-after-{every}"}
        config["models"][f"fb-close-after-{every}"] = {
            "backend": "closing", "upstream_model": f"close-after-{every}",
            "fallbacks": [{"backend": "spare", "upstream_model": "stub-chat-1"}]}
    for fault in FAULTS:
        config["models"][f"f-{fault}"] = {"backend": "faulty", "upstream_model": fault}
        config["models"][f"fb-{fault}"] = {"backend": "faulty", "upstream_model": fault,
                                           "fallbacks": [{"backend": "spare", "upstream_model": "stub-chat-1"}]}
    return config


@pytest.fixture(scope="module")
def relay(stub_server: StubUpstream, keys: Keys, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayProcess]:
    process = RelayProcess(faults_config(stub_server.base_url, keys), Path(tmp_path_factory.mktemp("faults")))
    process.start()
    try:
        yield process
    finally:
        process.stop()


def _chat(relay: RelayProcess, key: str, model: str, stream: bool, request_id: str | None = None):
    headers = {"Authorization": f"Bearer {key}", "x-request-id": request_id or str(uuid.uuid4())}
    body = {"model": model, "stream": stream, "messages": [{"role": "user", "content": "one two three"}]}
    return raw_http.request("POST", relay.url("/v1/chat/completions"), json_body=body, headers=headers, timeout=20)


def _events(body: bytes) -> list[str]:
    return [event[len("data: "):] for event in body.decode().split("\n\n") if event.startswith("data: ")]


def _assert_pool_recovered(relay: RelayProcess, keys: Keys, backend: str = "faulty") -> None:
    for stream in (False, True, False):
        answer = _chat(relay, keys.other, f"{backend}-ok", stream)
        assert answer.status == 200, answer.text
        assert answer.header("x-relay-backend") == backend
        if stream:
            assert _events(answer.body)[-1] == "[DONE]"
        else:
            assert answer.json()["choices"][0]["message"]["content"].startswith("Hello!")


# What the client sees for a fault with no fallback: (non-stream, stream).
EXPECTED = {
    "reset-body": (502, None),
    "reset-after-0": (None, 502),
    "reset-after-2": (None, "cut"),
    "bad-json": (502, None),
    "bad-sse-first": (None, 502),
    "bad-sse-later": (None, "cut"),
    "length-long": (502, None),
    "length-short": (502, None),
    "silent": (504, 504),
    "error-200": (502, 502),
}


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_a_fault_without_fallback_is_a_clear_error_and_the_pool_recovers(relay, stub, keys, fault, stream):
    expected = EXPECTED[fault][1 if stream else 0]
    if expected is None:
        pytest.skip("this fault is one of the other kind of answer")
    request_id = str(uuid.uuid4())
    started = time.monotonic()
    answer = _chat(relay, keys.other, f"f-{fault}", stream, request_id)
    if expected == "cut":
        # Failed after the first event: the status is already 200; the stream ends in an error
        # event and no [DONE].
        assert answer.status == 200
        events = _events(answer.body)
        assert events[-1] != "[DONE]" and "[DONE]" not in events
        error = json.loads(events[-1])["error"]
        assert error["code"] == "upstream_error" and error["type"] == "api_error" and error["message"]
        assert fault not in answer.text.replace(f"f-{fault}", "")  # upstream model never shown
    else:
        assert answer.status == expected, answer.text
        error = answer.json()["error"]
        assert error["code"] == {502: "upstream_error", 504: "upstream_timeout"}[expected]
        assert error["type"] == "api_error" and "faulty" in error["message"]
        assert answer.header("x-should-retry") == "false"
    line = relay.wait_for_access_line(request_id)
    assert line["status"] == answer.status and line["backend"] == "faulty" and line.get("error")
    if fault == "silent":
        assert time.monotonic() - started < TIMEOUT_S + 2
        # The timeout closed the upstream connection, so a real server stops generating.
        _wait_for_peer_close(stub, request_id, within_s=1)
    _assert_pool_recovered(relay, keys)


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_a_fault_before_the_first_byte_falls_back(relay, stub, keys, fault, stream):
    if EXPECTED[fault][1 if stream else 0] in (None, "cut"):
        pytest.skip("no fallback once the client has the first event")
    answer = _chat(relay, keys.other, f"fb-{fault}", stream)
    assert answer.status == 200, answer.text
    assert answer.header("x-relay-backend") == "spare" and answer.header("x-relay-attempts") == "2"
    if stream:
        events = _events(answer.body)
        assert events[-1] == "[DONE]" and json.loads(events[0])["model"] == f"fb-{fault}"
    else:
        assert answer.json()["model"] == f"fb-{fault}"
    _assert_pool_recovered(relay, keys)


@pytest.mark.parametrize("every", [1, 3])
def test_keep_alive_connections_closed_by_the_upstream_under_load_lose_no_request(relay, stub, keys, every):
    """The upstream closes its connection after every n-th answer without saying so; 6 clients
    at once. A request sent on a connection as it closes is sent again (at most twice; no
    answer had begun): without a fallback nearly all succeed and the rest are clean 502s, with
    one all succeed; the pool keeps working."""
    from concurrent.futures import ThreadPoolExecutor

    def run(model: str) -> list[tuple[int, str]]:
        def one(i: int) -> tuple[int, str]:
            answer = _chat(relay, keys.other, model, stream=i % 2 == 0)
            return answer.status, answer.text[:300]

        # Fewer clients than the backend's max_concurrency: a stream's slot is released just
        # after its last byte, so a client quicker than that could find the backend busy.
        with ThreadPoolExecutor(max_workers=6) as pool:
            return list(pool.map(one, range(200)))

    alone = run(f"close-after-{every}")
    failed = [(status, text) for status, text in alone if status != 200]
    assert all(status == 502 and '"code":"upstream_error"' in text for status, text in failed), failed[:3]
    # Few fail; on a heavily loaded machine a request can race a close three times running
    # (up to 8 of 200 seen at a load average of 20; about 80 without the re-send).
    assert len(failed) <= 20, f"{len(failed)} of 200 failed, e.g. {failed[:3]}"
    with_fallback = run(f"fb-close-after-{every}")
    assert [status for status, _ in with_fallback] == [200] * 200, [r for r in with_fallback if r[0] != 200][:3]
    _assert_pool_recovered(relay, keys, backend="closing")


def test_an_idle_close_racing_a_reuse_loses_no_request(relay, stub, keys):
    """The upstream closes idle keep-alive connections after 50 ms; requests come at about that
    interval, so some are sent on a connection the upstream is closing."""
    stub.keepalive_idle_close_s = 0.05
    try:
        statuses = []
        for i in range(60):
            time.sleep(0.04 + (i % 5) * 0.005)
            answer = _chat(relay, keys.other, "close-after-1000000", stream=False)
            statuses.append((answer.status, answer.text[:300]))
        assert [status for status, _ in statuses] == [200] * 60, [s for s in statuses if s[0] != 200]
    finally:
        stub.keepalive_idle_close_s = None
    _assert_pool_recovered(relay, keys, backend="closing")


def _wait_for_peer_close(stub: StubUpstream, request_id: str, within_s: float) -> float:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        for rid, at in list(stub.peer_closes):
            if rid == request_id:
                return at
        time.sleep(0.02)
    raise AssertionError(f"the upstream connection of {request_id} was not closed within {within_s}s")
