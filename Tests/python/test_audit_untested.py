"""Behaviours a contract audit found untested, through the binary: a model's `deadline_s`, a
backend's `connect_timeout_s`, which upstream statuses fall back and which pass through,
`fallback_tpm` on a request, the `shutdown_grace_s` cut-off, SIGINT, `check-config`'s failure,
`log.format: text`, and `admin_port` taking `/metrics` off the main port.
"""

from __future__ import annotations

import http.client
import json
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest

import raw_http
from relay_configs import standard_config
from relay_process import free_port, key_hash, new_key, relay_binary

STEADY = {"failures": 1000, "cooldown_s": 1}


def _spare(config: dict[str, Any]) -> dict[str, Any]:
    """`config` with a second backend, `spare`, on the same stub."""
    config["backends"]["spare"] = dict(config["backends"]["stub"])
    return config


def _post(relay, key: str, body: dict[str, Any], **headers: str) -> raw_http.Response:
    return raw_http.request("POST", relay.url("/v1/chat/completions"),
                            headers={"Authorization": f"Bearer {key}", **headers}, json_body=body)


def _chat(model: str, **extra: Any) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": "hi"}], **extra}


# ---- deadline_s -------------------------------------------------------------------------------

def test_deadline_s_ends_every_attempt_of_a_request_and_leaves_no_fallback(stub, keys, start_relay):
    config = _spare(standard_config(stub.base_url, keys))
    # Each target alone would wait for the slow answer (request_timeout_s 600): only the model's
    # deadline ends the call, and with none left the fallback is not tried.
    config["models"]["deadline"] = {"backend": "stub", "upstream_model": "stub-chat-1", "deadline_s": 1,
                                    "fallbacks": ["spare"]}
    config["api_keys"][1]["scopes"] = ["*"]
    relay = start_relay(config)

    answer = _post(relay, keys.other, _chat("deadline"), **{"x-stub-delay-ms": "20000"})
    assert answer.status == 504, answer.body
    assert answer.json()["error"]["code"] == "upstream_timeout"
    assert len(stub.api_requests()) == 1
    # Without the delay the same model answers: the deadline is per request.
    assert _post(relay, keys.other, _chat("deadline")).status == 200


# ---- connect_timeout_s ------------------------------------------------------------------------

@pytest.fixture
def unaccepting_port() -> Iterator[int]:
    """A loopback port whose listener never accepts and whose backlog is full: a new
    connection's handshake is never answered, so only a connect timeout ends it."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers: list[socket.socket] = []
    for _ in range(16):
        filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        filler.settimeout(0.5)
        try:
            filler.connect(("127.0.0.1", port))
        except OSError:
            filler.close()
            break
        fillers.append(filler)
    else:
        pytest.fail("the listener's backlog never filled")
    yield port
    for filler in fillers:
        filler.close()
    listener.close()


def test_connect_timeout_s_gives_up_on_a_backend_that_never_accepts_and_falls_back(
        stub, keys, start_relay, unaccepting_port):
    config = _spare(standard_config(stub.base_url, keys))
    config["backends"]["unaccepting"] = {"type": "vllm", "base_url": f"http://127.0.0.1:{unaccepting_port}",
                                         "connect_timeout_s": 1, "health_path": None, "circuit": STEADY}
    config["models"]["connect"] = {"backend": "unaccepting", "upstream_model": "stub-chat-1",
                                   "fallbacks": ["spare"]}
    config["api_keys"][1]["scopes"] = ["*"]
    relay = start_relay(config)

    request_id = str(uuid.uuid4())
    answer = _post(relay, keys.other, _chat("connect"), **{"x-request-id": request_id})
    assert answer.status == 200, answer.body
    assert answer.header("x-relay-backend") == "spare"
    assert answer.header("x-relay-attempts") == "2"
    line = relay.wait_for_access_line(request_id)
    assert line["backend"] == "spare"
    assert line["failed_attempts"] == ["unaccepting: timed out connecting"], line


# ---- upstream statuses: fall back or pass through ---------------------------------------------

def _status_config(stub, keys, statuses: list[int]) -> dict[str, Any]:
    config = _spare(standard_config(stub.base_url, keys))
    for status in statuses:
        config["models"][f"m{status}"] = {"backend": "stub", "upstream_model": f"fail-{status}",
                                          "fallbacks": [{"backend": "spare", "upstream_model": "stub-chat-1"}]}
    config["api_keys"][1]["scopes"] = ["*"]
    return config


@pytest.mark.parametrize("status", [401, 403, 408])
def test_an_upstream_401_403_or_408_is_the_backends_fault_and_falls_back(stub, keys, start_relay, status):
    relay = start_relay(_status_config(stub, keys, [status]))
    answer = _post(relay, keys.other, _chat(f"m{status}"))
    assert answer.status == 200, answer.body
    assert answer.header("x-relay-backend") == "spare"
    assert answer.header("x-relay-attempts") == "2"
    assert answer.json()["model"] == f"m{status}"
    assert [request.json["model"] for request in stub.api_requests()] == [f"fail-{status}", "stub-chat-1"]


@pytest.mark.parametrize("status", [413, 422])
def test_an_upstream_413_or_422_passes_through_with_no_fallback(stub, keys, start_relay, status):
    relay = start_relay(_status_config(stub, keys, [status]))
    answer = _post(relay, keys.other, _chat(f"m{status}"))
    assert answer.status == status, answer.body
    error = answer.json()["error"]
    assert error["type"] == "invalid_request_error"
    # The alias, never the upstream model, in what the client reads.
    assert f"m{status}" in error["message"] and "fail-" not in answer.text
    assert len(stub.api_requests()) == 1


# ---- fallback_tpm -----------------------------------------------------------------------------

def test_fallback_tpm_refuses_a_request_whose_fallback_would_spend_over_it(stub, keys, start_relay):
    config = _spare(standard_config(stub.base_url, keys))
    config["models"]["falls"] = {"backend": "stub", "upstream_model": "fail-500",
                                 "fallbacks": [{"backend": "spare", "upstream_model": "stub-chat-1"}]}
    budgeted = new_key()
    config["api_keys"].append({"name": "budgeted", "hash": key_hash(budgeted), "scopes": ["falls"],
                               "fallback_tpm": 100})
    relay = start_relay(config)

    # 20 completion tokens and a short prompt fit the fallback budget: served by the fallback.
    served = _post(relay, budgeted, _chat("falls", max_tokens=20))
    assert served.status == 200, served.body
    assert served.header("x-relay-backend") == "spare"
    # 200 completion tokens can never fit 100 a minute: the fallback is refused, no call made.
    calls_before = len(stub.api_requests())
    refused = _post(relay, budgeted, _chat("falls", max_tokens=200))
    assert refused.status == 429, refused.body
    assert refused.json()["error"]["code"] == "rate_limit_exceeded"
    assert refused.header("x-should-retry") == "false"
    assert [request.json["model"] for request in stub.api_requests()[calls_before:]] == ["fail-500"]
    metrics = raw_http.request("GET", relay.url("/metrics")).text
    assert any(line.startswith("relay_rate_limited_total{") and 'key="budgeted"' in line
               and 'limit="fallback_tpm"' in line for line in metrics.splitlines()), metrics


# ---- shutdown ---------------------------------------------------------------------------------

def _long_stream(relay, key: str, words: int, chunk_delay_ms: int) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", relay.port, timeout=60)
    content = " ".join(f"w{index}" for index in range(words))
    connection.request(
        "POST", "/v1/chat/completions",
        body=json.dumps({"model": "chat-a", "stream": True,
                         "messages": [{"role": "user", "content": content}]}).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json",
                 "x-stub-chunk-delay-ms": str(chunk_delay_ms)},
    )
    return connection.getresponse()


def _read_rest(response: http.client.HTTPResponse) -> bytes:
    try:
        return response.read()
    except http.client.IncompleteRead as cut:
        return cut.partial


def test_a_stream_still_running_past_shutdown_grace_s_is_cut_and_relay_exits_0(stub, keys, start_relay):
    relay = start_relay(standard_config(stub.base_url, keys, drain_delay_s=0, shutdown_grace_s=1))
    # 60 events half a second apart: half a minute, far past the grace.
    response = _long_stream(relay, keys.main, words=60, chunk_delay_ms=500)
    assert response.status == 200
    first = response.read1()
    assert first.startswith(b"data: ")

    relay.signal(signal.SIGTERM)
    assert relay.wait(timeout_s=20) == 0
    received = first + _read_rest(response)
    assert b"data: [DONE]" not in received
    assert received.count(b"data: ") < 60


def test_sigint_drains_like_sigterm(stub, keys, start_relay):
    relay = start_relay(standard_config(stub.base_url, keys, drain_delay_s=2, shutdown_grace_s=20))
    response = _long_stream(relay, keys.main, words=4, chunk_delay_ms=300)
    assert response.status == 200
    first = response.read1()

    relay.signal(signal.SIGINT)
    relay.wait_for_record(lambda record: record.get("msg") == "draining")
    # Draining: not ready any more, still answering for drain_delay_s.
    assert raw_http.request("GET", relay.url("/readyz")).status == 503
    assert raw_http.request("GET", relay.url("/healthz")).status == 200
    assert (first + response.read()).rstrip().endswith(b"data: [DONE]")
    assert relay.wait(timeout_s=20) == 0
    relay.wait_for_record(lambda record: record.get("msg") == "stopped")


# ---- check-config -----------------------------------------------------------------------------

def test_check_config_exits_1_with_every_problem_on_stderr(tmp_path: Path):
    config = tmp_path / "relay.yaml"
    config.write_text(
        "backends:\n"
        "  a: {type: vllm, base_url: 'http://127.0.0.1:9'}\n"
        "models:\n"
        "  chat: {backend: missing}\n"
        "  other: {backend: a, deadline_s: -1}\n"
        "api_keys: []\n"
    )
    result = subprocess.run([str(relay_binary()), "check-config", "--config", str(config)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1
    assert "models.chat.backend" in result.stderr
    assert "models.other.deadline_s" in result.stderr
    assert "valid" not in result.stdout


# ---- log.format: text -------------------------------------------------------------------------

def test_log_format_text_writes_text_lines(stub, keys, start_relay):
    config = standard_config(stub.base_url, keys)
    config["log"]["format"] = "text"
    relay = start_relay(config)
    request_id = str(uuid.uuid4())
    assert _post(relay, keys.main, _chat("chat-a"), **{"x-request-id": request_id}).status == 200
    deadline = time.monotonic() + 10
    while not (lines := [line for line in relay.lines if request_id in line]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(lines) == 1, relay.log_text()
    line = lines[0]
    with pytest.raises(ValueError):
        json.loads(line)
    # `ts level msg key=value …`
    timestamp, level, message, *fields = line.split(" ")
    assert timestamp[:4].isdigit() and "T" in timestamp
    assert (level, message) == ("info", "request")
    assert "status=200" in fields and "model=chat-a" in fields
    assert not any(line.startswith("{") for line in relay.lines)


# ---- admin_port -------------------------------------------------------------------------------

def test_admin_port_takes_metrics_off_the_main_port(stub, keys, start_relay):
    admin_port = free_port()
    relay = start_relay(standard_config(stub.base_url, keys, admin_port=admin_port))
    relay.wait_for_record(lambda record: record.get("msg") == "admin listening")
    assert _post(relay, keys.main, _chat("chat-a")).status == 200

    hidden = raw_http.request("GET", relay.url("/metrics"))
    assert hidden.status == 404
    assert "relay_requests_total" not in hidden.text
    shown = raw_http.request("GET", f"http://127.0.0.1:{admin_port}/metrics")
    assert shown.status == 200
    assert any(line.startswith("relay_requests_total{") for line in shown.text.splitlines())
    assert raw_http.request("GET", relay.url("/readyz")).status == 200
