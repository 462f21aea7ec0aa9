"""The fault matrix (issue #25.7): every way a proxied request can end leaves Relay settled.

Whatever ends a request (an answer, an upstream failure, a timeout, a limit, a translation
error, the client leaving at any point, the shutdown grace running out), Relay gives back what
the request held, exactly once. For each ending, through the binary in front of stubs, after
the request has ended (its access line is written):

- ``relay_backend_in_flight`` is back to 0 for every backend;
- the key's limiter was settled once: the next request's ``x-ratelimit-remaining-requests`` and
  ``x-ratelimit-remaining-tokens`` show one admitted request and the charge SPEC §5 asks for
  (the real usage on success; nothing on a failure before any output; the prompt estimate when
  the client left after the backend was sent the prompt but before any output; what was
  produced when it left mid-stream);
- every circuit is in the state the ending implies (``/readyz``); a probe that ended with no
  outcome was given back, so the circuit is not left ``probing`` and the next request probes;
- the request wrote exactly one access line and added exactly one to ``relay_requests_total``,
  in the series of the line's labels.

Each row has a key of its own, so its limiter windows hold that row's requests only. The
shutdown row runs a relay of its own, whose metrics go with it: only its access line is checked.
"""

from __future__ import annotations

import http.client
import json
import signal
import socket
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from relay_process import RelayProcess, key_hash, new_key
from stub_ollama import StubOllama
from stub_upstream import StubUpstream

RPM = 100
TPM = 100_000
MAX_TOKENS = 20
COOLDOWN_S = 1
#: A stream long enough to leave in the middle of, or to be cut by the shutdown grace.
LONG_CONTENT = " ".join(f"w{i}" for i in range(30))
#: The request sent after each row's, whose rate-limit headers show how the row was settled.
NEXT_MESSAGES = [{"role": "user", "content": "and the next one"}]

#: The key that opens the probe rows' circuits, so that the rows' own keys hold only their requests.
OPENER = new_key()

STEADY = {"failures": 1000, "cooldown_s": COOLDOWN_S}
FLAKY = {"failures": 1, "cooldown_s": COOLDOWN_S}


def _backend(url: str, circuit: dict[str, int], kind: str = "vllm", timeout_s: int = 10) -> dict[str, Any]:
    # No health checks: only requests move a circuit here, as in the bug where a check was all
    # that could free a circuit left probing.
    return {"type": kind, "base_url": url, "max_concurrency": 8, "health_path": None, "circuit": circuit,
            "connect_timeout_s": 1, "first_byte_timeout_s": timeout_s, "request_timeout_s": timeout_s,
            "idle_timeout_s": timeout_s}


def _fallback_to(backend: str) -> list[dict[str, str]]:
    return [{"backend": backend, "upstream_model": "stub-chat-1"}]


def _config(stub_url: str, ollama_url: str, keys: dict[str, str]) -> dict[str, Any]:
    return {
        "server": {"drain_delay_s": 0, "shutdown_grace_s": 5},
        "log": {"level": "info", "format": "json"},
        "backends": {
            "main": _backend(stub_url, STEADY),
            "slow": _backend(stub_url, STEADY, timeout_s=1),
            "spare": _backend(stub_url, STEADY),
            "flaky": _backend(stub_url, FLAKY),
            "flaky-fb": _backend(stub_url, FLAKY),
            "ollama": _backend(ollama_url, STEADY, kind="ollama"),
            "ollama-flaky": _backend(ollama_url, FLAKY, kind="ollama"),
        },
        "models": {
            "ok": {"backend": "main", "upstream_model": "stub-chat-1"},
            "fail": {"backend": "main", "upstream_model": "fail-500"},
            "fo": {"backend": "main", "upstream_model": "fail-500", "fallbacks": _fallback_to("spare")},
            "timeout": {"backend": "slow", "upstream_model": "silent"},
            "ollama-ok": {"backend": "ollama", "upstream_model": "good:1"},
            "flaky-fail": {"backend": "flaky", "upstream_model": "fail-500"},
            "flaky-ok": {"backend": "flaky", "upstream_model": "stub-chat-1"},
            "flakyfb-fail": {"backend": "flaky-fb", "upstream_model": "fail-500"},
            "flakyfb-ok": {"backend": "flaky-fb", "upstream_model": "stub-chat-1"},
            "fo-flakyfb": {"backend": "main", "upstream_model": "fail-500", "fallbacks": _fallback_to("flaky-fb")},
            "ollamaflaky-fail": {"backend": "ollama-flaky", "upstream_model": "fail-500"},
            "ollamaflaky-ok": {"backend": "ollama-flaky", "upstream_model": "good:1"},
        },
        "api_keys": [
            {"name": name, "hash": key_hash(key), "scopes": ["*"],
             "limits": {"rpm": RPM, "tpm": TPM},
             # A fallback_tpm no reservation fits, for the rows where it rejects the fallback.
             "fallback_tpm": 1 if "fallback-tpm" in name else TPM}
            for name, key in keys.items()
        ] + [{"name": "opener", "hash": key_hash(OPENER), "scopes": ["*"]}],
    }


# ---- talking to Relay ------------------------------------------------------------------------

def _body(model: str, content: str = "alpha beta gamma", **extra: Any) -> bytes:
    """The body as sent, compact: the bytes of its `messages` value are what Relay estimates on."""
    return json.dumps({"model": model, "max_tokens": MAX_TOKENS, "messages": [{"role": "user", "content": content}],
                       **extra}, separators=(",", ":")).encode()


def prompt_estimate(body: bytes) -> int:
    """Relay's prompt estimate (`TokenEstimate`): a token for every four bytes of `messages`, rounded up."""
    messages = json.dumps(json.loads(body)["messages"], separators=(",", ":")).encode()
    assert messages in body, "the body is not compact JSON: its messages' bytes are not known"
    return (len(messages) + 3) // 4


def completion_estimate(pieces: list[str]) -> int:
    """Relay's estimate of what a stream produced: a token a content event, or a token for every
    four bytes of its text, whichever is more (`OpenAIStreamRelay.usage`)."""
    return max(len(pieces), (sum(len(p.encode()) for p in pieces) + 3) // 4)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def _post(relay: RelayProcess, key: str, body: bytes, request_id: str, timeout: float = 30,
          **headers: str) -> Answer:
    connection = http.client.HTTPConnection("127.0.0.1", relay.port, timeout=timeout)
    try:
        connection.request("POST", "/v1/chat/completions", body=body,
                           headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json",
                                    "x-request-id": request_id, **headers})
        response = connection.getresponse()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        connection.close()


def _events(body: bytes) -> list[Any]:
    out = []
    for event in body.decode().split("\n\n"):
        if event.startswith("data: "):
            data = event[len("data: "):]
            out.append(data if data == "[DONE]" else json.loads(data))
    return out


def _content_pieces(events: list[Any]) -> list[str]:
    return [e["choices"][0]["delta"].get("content") or "" for e in events
            if isinstance(e, dict) and e.get("choices") and (e["choices"][0]["delta"].get("content") or "")]


def _wait_upstream_has(stub: StubUpstream, request_id: str, within_s: float = 5.0) -> None:
    """Waits until the stub has read the whole request: the backend was sent the prompt."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if any(r.header("x-request-id") == request_id for r in stub.api_requests()):
            return
        time.sleep(0.01)
    raise AssertionError(f"the upstream never received request {request_id}: "
                         f"{[(r.path, r.header('x-request-id')) for r in stub.api_requests()]}")


def _leave_before_any_answer(relay: RelayProcess, stub: StubUpstream, key: str, body: bytes, request_id: str,
                             **headers: str) -> None:
    """Sends the request on a raw socket, waits until the upstream has it, and leaves having read
    nothing: nothing of an answer had been written (the upstream is held back by `headers`)."""
    head = "".join(f"{name}: {value}\r\n" for name, value in {
        "Host": "127.0.0.1", "Authorization": f"Bearer {key}", "Content-Type": "application/json",
        "Content-Length": str(len(body)), "x-request-id": request_id, **headers}.items())
    sock = socket.create_connection(("127.0.0.1", relay.port), timeout=10)
    try:
        sock.sendall(f"POST /v1/chat/completions HTTP/1.1\r\n{head}\r\n".encode() + body)
        _wait_upstream_has(stub, request_id)
        sock.setblocking(False)
        try:
            early = sock.recv(1)
        except BlockingIOError:
            early = b""
        assert early == b"", "Relay answered before the client left: the row does not test what it says"
    finally:
        sock.close()


def _metrics(relay: RelayProcess) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(relay.url("/metrics"), timeout=10) as response:
        text = response.read().decode()
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def _settled_metrics(relay: RelayProcess) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """The metrics once they count every request whose access line is written: a request's line
    and its metrics are recorded one after the other."""
    deadline = time.monotonic() + 5
    while True:
        metrics = _metrics(relay)
        if sum(_requests_total(metrics).values()) == len(relay.access_lines()) or time.monotonic() > deadline:
            return metrics
        time.sleep(0.02)


def _requests_total(metrics: dict) -> dict[tuple, float]:
    return {labels: value for (name, labels), value in metrics.items() if name == "relay_requests_total"}


def _in_flight(metrics: dict) -> dict[str, float]:
    return {dict(labels)["backend"]: value for (name, labels), value in metrics.items()
            if name == "relay_backend_in_flight"}


def _circuits(relay: RelayProcess) -> dict[str, str]:
    with urllib.request.urlopen(relay.url("/readyz"), timeout=10) as response:
        return {name: backend["state"] for name, backend in json.loads(response.read())["backends"].items()}


# ---- the rows --------------------------------------------------------------------------------

@dataclass
class Outcome:
    """What one row's request came to, as the client saw it."""

    #: The key's charges SPEC §5 allows for it: one, except where noted.
    charges: set[int]
    why: str
    #: The access line's status.
    status: int


@dataclass
class Row:
    id: str
    run: Callable[["Ctx"], Outcome]
    #: Circuits expected right after the request; every other backend's is as before it.
    circuits: dict[str, str] = field(default_factory=dict)
    #: The model of the next request (which, after a probe given back, is the new probe).
    next_model: str = "ok"
    #: Circuits expected after the next request.
    circuits_after_next: dict[str, str] = field(default_factory=dict)
    #: For a probe row: a model whose one failure opens the circuit (`failures: 1`) before the
    #: row's request, which is sent once the cooldown has passed and so is the probe.
    opener_model: str | None = None


@dataclass
class Ctx:
    relay: RelayProcess
    stub: StubUpstream
    key: str
    request_id: str


def _non_stream_success(ctx: Ctx) -> Outcome:
    answer = _post(ctx.relay, ctx.key, _body("ok"), ctx.request_id)
    assert answer.status == 200, answer.body
    return Outcome({answer.json()["usage"]["total_tokens"]}, "the upstream's usage", 200)


def _stream_success(ctx: Ctx) -> Outcome:
    answer = _post(ctx.relay, ctx.key, _body("ok", stream=True, stream_options={"include_usage": True}),
                   ctx.request_id)
    assert answer.status == 200, answer.body
    events = _events(answer.body)
    assert events[-1] == "[DONE]", events[-3:]
    usage = [e["usage"] for e in events if isinstance(e, dict) and e.get("usage")]
    assert len(usage) == 1, events
    return Outcome({usage[0]["total_tokens"]}, "the upstream's usage", 200)


def _fallback_success(ctx: Ctx) -> Outcome:
    answer = _post(ctx.relay, ctx.key, _body("fo"), ctx.request_id)
    assert answer.status == 200, answer.body
    assert answer.headers["x-relay-backend"] == "spare" and answer.headers["x-relay-attempts"] == "2"
    return Outcome({answer.json()["usage"]["total_tokens"]}, "the fallback's usage, once", 200)


def _failure_no_fallback(ctx: Ctx) -> Outcome:
    answer = _post(ctx.relay, ctx.key, _body("fail"), ctx.request_id)
    assert answer.status == 502, answer.body
    return Outcome({0}, "a failure before any output is refunded", 502)


def _first_byte_timeout(ctx: Ctx) -> Outcome:
    answer = _post(ctx.relay, ctx.key, _body("timeout", stream=True), ctx.request_id)
    assert answer.status == 504, answer.body
    return Outcome({0}, "a timeout before any output is refunded", 504)


def _fallback_tpm_rejection(model: str) -> Callable[[Ctx], Outcome]:
    def run(ctx: Ctx) -> Outcome:
        answer = _post(ctx.relay, ctx.key, _body(model), ctx.request_id)
        assert answer.status == 429, answer.body
        assert answer.json()["error"]["code"] == "rate_limit_exceeded"
        return Outcome({0}, "no target answered: refunded", 429)
    return run


def _ollama_translation_400(model: str) -> Callable[[Ctx], Outcome]:
    def run(ctx: Ctx) -> Outcome:
        # `tools` must be an array for Ollama's translation: Relay answers 400 before any call.
        answer = _post(ctx.relay, ctx.key, _body(model, tools="not a list"), ctx.request_id)
        assert answer.status == 400, answer.body
        assert answer.json()["error"]["param"] == "tools", answer.body
        return Outcome({0}, "a request never sent is refunded", 400)
    return run


def _leaves_before_the_stream_head(ctx: Ctx) -> Outcome:
    body = _body("ok", stream=True)
    # The upstream answers its head at once and its first event only after 3 s: Relay's own
    # head waits for that first event.
    _leave_before_any_answer(ctx.relay, ctx.stub, ctx.key, body, ctx.request_id, **{"x-stub-chunk-delay-ms": "3000"})
    return Outcome({prompt_estimate(body)}, "the backend read the prompt: its estimate", 499)


def _leaves_while_the_upstream_computes(model: str) -> Callable[[Ctx], Outcome]:
    def run(ctx: Ctx) -> Outcome:
        body = _body(model)
        _leave_before_any_answer(ctx.relay, ctx.stub, ctx.key, body, ctx.request_id, **{"x-stub-delay-ms": "3000"})
        return Outcome({prompt_estimate(body)}, "the backend read the prompt: its estimate", 499)
    return run


def _leaves_mid_stream(ctx: Ctx) -> Outcome:
    body = _body("ok", LONG_CONTENT, stream=True, max_tokens=40)
    connection = http.client.HTTPConnection("127.0.0.1", ctx.relay.port, timeout=30)
    connection.request("POST", "/v1/chat/completions", body=body,
                       headers={"Authorization": f"Bearer {ctx.key}", "Content-Type": "application/json",
                                "x-request-id": ctx.request_id, "x-stub-chunk-delay-ms": "400"})
    response = connection.getresponse()
    assert response.status == 200
    received = b""
    while len(_content_pieces(_events(received.rpartition(b"\n\n")[0] + b"\n\n"))) < 2:
        chunk = response.read1()
        assert chunk, "the stream ended before the client could leave it"
        received += chunk
    connection.sock.close()
    connection.close()
    seen = _content_pieces(_events(received.rpartition(b"\n\n")[0] + b"\n\n"))
    # Events come 400 ms apart and the client leaves as soon as it has seen two pieces: Relay has
    # read those, or also the next if it arrived as the client left. Either is what was produced.
    words = f"Hello! You said: {LONG_CONTENT}".split(" ")
    upcoming = [w + " " for w in words][len(seen)]
    estimate = prompt_estimate(body)
    return Outcome({estimate + completion_estimate(seen), estimate + completion_estimate(seen + [upcoming])},
                   f"the prompt estimate and what was produced: {seen} (or one event more)", 200)


ROWS = [
    Row("non-stream-success", _non_stream_success),
    Row("stream-success", _stream_success),
    Row("upstream-500-then-fallback-success", _fallback_success),
    Row("upstream-failure-no-fallback-502", _failure_no_fallback),
    Row("first-byte-timeout-504", _first_byte_timeout),
    Row("fallback-tpm-rejects-the-fallback-429", _fallback_tpm_rejection("fo")),
    Row("ollama-translation-400", _ollama_translation_400("ollama-ok")),
    Row("client-leaves-before-the-stream-head", _leaves_before_the_stream_head),
    Row("client-leaves-while-the-upstream-computes", _leaves_while_the_upstream_computes("ok")),
    Row("client-leaves-mid-stream", _leaves_mid_stream),
    # A probe that ends with no outcome gives the probe back: the circuit is open, not probing,
    # and the next request is the probe, which closes it.
    Row("probe-client-leaves", _leaves_while_the_upstream_computes("flaky-ok"), opener_model="flaky-fail",
        circuits={"flaky": "circuit_open"}, next_model="flaky-ok", circuits_after_next={"flaky": "up"}),
    Row("probe-fallback-tpm-rejects-it", _fallback_tpm_rejection("fo-flakyfb"), opener_model="flakyfb-fail",
        circuits={"flaky-fb": "circuit_open"}, next_model="flakyfb-ok", circuits_after_next={"flaky-fb": "up"}),
    Row("probe-ollama-translation-400", _ollama_translation_400("ollamaflaky-ok"), opener_model="ollamaflaky-fail",
        circuits={"ollama-flaky": "circuit_open"}, next_model="ollamaflaky-ok",
        circuits_after_next={"ollama-flaky": "up"}),
]

KEYS = {row.id: new_key() for row in ROWS}


@pytest.fixture(scope="module")
def ollama() -> Iterator[StubOllama]:
    with StubOllama(pulled=["good:1", "fail-500"]) as server:
        yield server


@pytest.fixture(scope="module")
def relay(stub_server: StubUpstream, ollama: StubOllama,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayProcess]:
    process = RelayProcess(_config(stub_server.base_url, ollama.base_url, KEYS),
                           Path(tmp_path_factory.mktemp("fault-matrix")))
    process.start()
    try:
        yield process
    finally:
        process.stop()


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_every_ending_settles_the_request_once(row: Row, relay: RelayProcess, stub: StubUpstream) -> None:
    key = KEYS[row.id]
    # A UUID: Relay passes only those on to the backend, where the stub records them.
    request_id = str(uuid.uuid4())
    ctx = Ctx(relay, stub, key, request_id)
    backends = set(relay.config["backends"])

    if row.opener_model is not None:
        opener_id = "open-" + request_id
        opened = _post(relay, OPENER, _body(row.opener_model), opener_id)
        assert opened.status == 502, opened.body
        relay.wait_for_access_line(opener_id)
        opened_circuits = {name: _circuits(relay)[name] for name in row.circuits}
        assert opened_circuits == dict.fromkeys(row.circuits, "circuit_open"), opened_circuits
        time.sleep(COOLDOWN_S + 0.2)

    before = _settled_metrics(relay)
    circuits_before = _circuits(relay)
    outcome = row.run(ctx)

    line = relay.wait_for_access_line(request_id, timeout_s=10)
    assert line["status"] == outcome.status, line

    # The backend slots are all back (compared with before the request, so that a row is not
    # blamed for another's leak).
    metrics = _settled_metrics(relay)
    in_flight, in_flight_before = _in_flight(metrics), _in_flight(before)
    assert set(in_flight) == backends, f"relay_backend_in_flight series: {sorted(in_flight)}"
    assert in_flight == in_flight_before, f"in flight after the request ended: {in_flight}, before: {in_flight_before}"
    assert all(value == 0 for value in in_flight.values()), f"in flight after the request ended: {in_flight}"

    # One relay_requests_total increment, in the series of the line's labels.
    totals, totals_before = _requests_total(metrics), _requests_total(before)
    labels = tuple(sorted({"model": line["model"], "backend": line.get("backend", "none"), "key": line["key"],
                           "status": str(line["status"])}.items()))
    added = {series: value - totals_before.get(series, 0) for series, value in totals.items()
             if value != totals_before.get(series, 0)}
    assert added == {labels: 1}, f"relay_requests_total changed by {added}, expected +1 for {dict(labels)}"

    # Every circuit as the ending leaves it: those the row names as it says, the others as before.
    assert _circuits(relay) == circuits_before | row.circuits

    # The limiter was settled once: the next request sees one more admitted request and the
    # row's charge, on top of its own reservation.
    next_body = json.dumps({"model": row.next_model, "max_tokens": MAX_TOKENS, "messages": NEXT_MESSAGES},
                           separators=(",", ":")).encode()
    next_answer = _post(relay, key, next_body, "next-" + request_id)
    assert next_answer.status == 200, next_answer.body
    assert int(next_answer.headers["x-ratelimit-remaining-requests"]) == RPM - 2, (
        "the row's request and the next one are the key's only admitted requests")
    reserved_next = prompt_estimate(next_body) + MAX_TOKENS
    remaining = int(next_answer.headers["x-ratelimit-remaining-tokens"])
    charged = TPM - reserved_next - remaining
    assert charged in outcome.charges, (
        f"the key was charged {charged} tokens for the request; expected {sorted(outcome.charges)}: {outcome.why}")

    if row.circuits_after_next:
        circuits = _circuits(relay)
        assert {name: circuits[name] for name in row.circuits_after_next} == row.circuits_after_next, (
            "the request after the probe given back should have probed and closed the circuit")

    # Still exactly one line, now that every part of the request has had time to end.
    assert len(relay.access_lines(request_id)) == 1, relay.access_lines(request_id)


def test_the_shutdown_grace_running_out_mid_stream_still_writes_one_access_line(
    stub: StubUpstream, start_relay: Callable[..., RelayProcess]
) -> None:
    """SIGTERM during a stream longer than `shutdown_grace_s`: the stream is cut when the grace
    runs out, and the request still ends in exactly one access line (the process's metrics and
    limiter go with it)."""
    key = new_key()
    relay = start_relay({
        "server": {"drain_delay_s": 0, "shutdown_grace_s": 1},
        "log": {"level": "info", "format": "json"},
        "backends": {"main": _backend(stub.base_url, STEADY)},
        "models": {"ok": {"backend": "main", "upstream_model": "stub-chat-1"}},
        "api_keys": [{"name": "grace", "hash": key_hash(key), "scopes": ["*"], "limits": {"rpm": RPM, "tpm": TPM}}],
    })
    request_id = str(uuid.uuid4())
    # About 30 events 300 ms apart: far longer than the grace.
    body = _body("ok", LONG_CONTENT, stream=True, max_tokens=40)
    connection = http.client.HTTPConnection("127.0.0.1", relay.port, timeout=30)
    connection.request("POST", "/v1/chat/completions", body=body,
                       headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json",
                                "x-request-id": request_id, "x-stub-chunk-delay-ms": "300"})
    response = connection.getresponse()
    assert response.status == 200
    received = b""
    while len(_content_pieces(_events(received.rpartition(b"\n\n")[0] + b"\n\n"))) < 2:
        chunk = response.read1()
        assert chunk, "the stream ended before the shutdown began"
        received += chunk
    relay.signal(signal.SIGTERM)
    try:
        while chunk := response.read1():
            received += chunk
    except (http.client.HTTPException, OSError):
        pass  # the connection closed mid-chunk: the stream was cut
    finally:
        connection.close()
    relay.wait(timeout_s=20)

    assert b"data: [DONE]" not in received, "the stream ran to its end: the grace did not cut it"
    lines = relay.access_lines(request_id)
    assert len(lines) == 1, f"access lines for the request: {lines}\n{relay.log_text()}"
    assert lines[0]["status"] == 200, lines[0]
