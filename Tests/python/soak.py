"""The soak (issue #10.5/6): Relay under a steady mix of traffic, with every request accounted for.

One run, against two stub upstreams in a child process (so they do not share the load
generator's interpreter):

1. ``load``: ``workers`` clients on keep-alive connections send, as fast as they are answered, a
   mix of streamed and plain chat completions, requests of a key with a tiny ``rpm`` (429s)
   and requests of a model whose backend answers 503 (a fallback to a second backend each).
   Halfway, the config file changes and Relay gets SIGHUP; afterwards a new alias must serve.
   RSS and open file descriptors of the Relay process are sampled all along.
2. ``checks`` once the load stops: every request answered exactly once, counted the same by
   the client, the stubs, Relay's access log and ``relay_requests_total``; the in-flight
   gauges back to 0; the limiter's counters equal to what was admitted (key ``ledger``, used
   only in the last ``LEDGER_WINDOW_S`` so that all of it is in the current 60 s window).
3. ``shutdown``: load again, SIGTERM in the middle of it. Every request either has an answer
   (and then exactly one access line) or was refused before admission (a connection error,
   and then no access line and no upstream call); Relay exits 0.

``run(seconds, workdir)`` returns a ``Report``; ``Report.problems`` lists what did not hold.
``python Tests/python/soak.py SECONDS`` runs it and prints the figures (scripts/soak).
"""

from __future__ import annotations

import collections
import copy
import http.client
import json
import multiprocessing
import os
import random
import signal
import socket
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from relay_process import RelayProcess, key_hash, new_key  # noqa: E402

TIGHT_RPM = 30
LEDGER_RPM = 1_000_000
LEDGER_TPM = 1_000_000_000
LEDGER_WINDOW_S = 40
PROMPT = "Tell me about the soak test please"


# ---- stubs in a child process ---------------------------------------------------------------

def _stub_process(ports: Any, stop: Any, results: Any) -> None:
    from stub_upstream import StubUpstream

    class CountingStub(StubUpstream):
        """Keeps only (x-request-id, upstream model) per request: a soak sends millions."""

        def __init__(self) -> None:
            super().__init__()
            self.seen: list[tuple[str | None, str | None]] = []

        def _record(self, request: Any) -> None:
            if request.method == "POST":
                model = request.json.get("model") if isinstance(request.json, dict) else None
                with self._lock:
                    self.seen.append((request.header("x-request-id"), model))

    local, cloud = CountingStub().start(), CountingStub().start()
    ports.put((local.port, cloud.port))
    stop.wait()
    results.put({"local": local.seen, "cloud": cloud.seen,
                 "connections": {"local": local.connections, "cloud": cloud.connections}})
    local.stop()
    cloud.stop()


class Stubs:
    def __init__(self) -> None:
        context = multiprocessing.get_context("fork")
        self._ports, self._results, self._stop = context.Queue(), context.Queue(), context.Event()
        self._process = context.Process(target=_stub_process, args=(self._ports, self._stop, self._results),
                                        daemon=True)

    def __enter__(self) -> "Stubs":
        self._process.start()
        self.local_port, self.cloud_port = self._ports.get(timeout=30)
        return self

    def collect(self) -> dict[str, Any]:
        self._stop.set()
        result = self._results.get(timeout=60)
        self._process.join(timeout=10)
        return result

    def __exit__(self, *exc: object) -> None:
        if self._process.is_alive():
            self._process.kill()


# ---- config ---------------------------------------------------------------------------------

@dataclass
class SoakKeys:
    bulk: str = field(default_factory=new_key)
    tight: str = field(default_factory=new_key)
    ledger: str = field(default_factory=new_key)
    probe: str = field(default_factory=new_key)


def soak_config(local_port: int, cloud_port: int, keys: SoakKeys) -> dict[str, Any]:
    unbreakable = {"failures": 1_000_000_000, "cooldown_s": 1}
    ledger_limits = {"rpm": LEDGER_RPM, "tpm": LEDGER_TPM}
    return {
        "server": {"drain_delay_s": 1, "shutdown_grace_s": 20},
        "log": {"level": "info", "format": "json"},
        "backends": {
            "local": {"type": "vllm", "base_url": f"http://127.0.0.1:{local_port}", "max_concurrency": 64,
                      "circuit": unbreakable, "health_path": None},
            # The same server, through a model it fails: every request there falls back.
            "flaky": {"type": "vllm", "base_url": f"http://127.0.0.1:{local_port}", "max_concurrency": 64,
                      "circuit": unbreakable, "health_path": None},
            "cloud": {"type": "openai", "base_url": f"http://127.0.0.1:{cloud_port}", "max_concurrency": 64,
                      "circuit": unbreakable, "health_path": None},
        },
        "models": {
            "chat": {"backend": "local", "upstream_model": "stub-chat-1"},
            "chat-fb": {"backend": "flaky", "upstream_model": "fail-503",
                        "fallbacks": [{"backend": "cloud", "upstream_model": "stub-chat-1"}]},
        },
        "api_keys": [
            {"name": "bulk", "hash": key_hash(keys.bulk), "scopes": ["*"]},
            {"name": "tight", "hash": key_hash(keys.tight), "scopes": ["*"], "limits": {"rpm": TIGHT_RPM}},
            {"name": "ledger", "hash": key_hash(keys.ledger), "scopes": ["*"], "limits": ledger_limits},
            {"name": "probe", "hash": key_hash(keys.probe), "scopes": ["*"], "limits": ledger_limits},
        ],
    }


# ---- the client side ------------------------------------------------------------------------

@dataclass
class Outcome:
    rid: str
    kind: str  # chat, chat-fb, tight, ledger, new-alias
    key: str
    status: int | None  # None: no answer (connection refused or closed before one)
    error: str | None = None
    tokens: int = 0
    backend: str | None = None
    sent_at: float = 0.0


class Client:
    """One keep-alive connection, one request at a time."""

    def __init__(self, port: int):
        self.port = port
        self.connection: http.client.HTTPConnection | None = None
        self.last_headers: dict[str, str] = {}

    def send(self, key: str, model: str, stream: bool, kind: str, key_name: str) -> Outcome:
        rid = str(uuid.uuid4())
        outcome = Outcome(rid=rid, kind=kind, key=key_name, status=None, sent_at=time.monotonic())
        body: dict[str, Any] = {"model": model, "stream": stream, "max_tokens": 16,
                                "messages": [{"role": "user", "content": PROMPT}]}
        if stream:
            body["stream_options"] = {"include_usage": True}
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            self.connection.request("POST", "/v1/chat/completions", body=json.dumps(body).encode(),
                                    headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json",
                                             "x-request-id": rid})
            response = self.connection.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as error:
            outcome.error = type(error).__name__
            self.close()
            return outcome
        outcome.status = response.status
        self.last_headers = {name.lower(): value for name, value in response.getheaders()}
        outcome.backend = response.getheader("x-relay-backend")
        if response.getheader("connection", "").lower() == "close":
            self.close()
        if response.status != 200:
            return outcome
        if stream:
            events = [e[6:] for e in payload.decode().split("\n\n") if e.startswith("data: ")]
            if not events or events[-1] != "[DONE]":
                outcome.error = "stream without [DONE]"
                return outcome
            usage = json.loads(events[-2]).get("usage") or {}
        else:
            usage = json.loads(payload).get("usage") or {}
        outcome.tokens = usage.get("total_tokens", 0)
        return outcome

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def _get(port: int, path: str) -> tuple[int, bytes, dict[str, str]]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read(), {k.lower(): v for k, v in response.getheaders()}
    finally:
        connection.close()


def _metrics(port: int) -> dict[str, float]:
    """Prometheus text → {'name{labels}': value}."""
    status, body, _ = _get(port, "/metrics")
    assert status == 200
    out = {}
    for line in body.decode().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


def _labels(sample: str) -> dict[str, str]:
    inside = sample[sample.index("{") + 1: sample.rindex("}")] if "{" in sample else ""
    labels = {}
    for part in inside.split('",'):
        if "=" in part:
            name, _, value = part.partition("=")
            labels[name.strip()] = value.strip().strip('"')
    return labels


# ---- the run --------------------------------------------------------------------------------

@dataclass
class Report:
    seconds: float = 0.0
    workers: int = 0
    outcomes: int = 0
    rate: float = 0.0
    by_status: dict[str, int] = field(default_factory=dict)
    by_kind: dict[str, int] = field(default_factory=dict)
    access_lines: int = 0
    stub_calls: dict[str, int] = field(default_factory=dict)
    rss_mb: list[float] = field(default_factory=list)
    fds: list[int] = field(default_factory=list)
    shutdown: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return json.dumps({k: v for k, v in self.__dict__.items() if k not in ("rss_mb", "fds")}
                          | {"rss_mb_first_last_max": _first_last_max(self.rss_mb),
                             "fds_first_last_max": _first_last_max(self.fds)}, indent=2)


def _first_last_max(values: list[float] | list[int]) -> list[float]:
    return [values[0], values[-1], max(values)] if values else []


def _proc_sample(pid: int) -> tuple[float, int]:
    with open(f"/proc/{pid}/status") as status:
        rss_kb = next((int(line.split()[1]) for line in status if line.startswith("VmRSS:")), None)
    if rss_kb is None:
        raise RuntimeError(f"relay (pid {pid}) is gone")
    return rss_kb / 1024, len(os.listdir(f"/proc/{pid}/fd"))


def run(seconds: float, workdir: Path, workers: int = 12, shutdown_s: float = 4.0) -> Report:
    report = Report(seconds=seconds, workers=workers)
    keys = SoakKeys()
    with Stubs() as stubs:
        config = soak_config(stubs.local_port, stubs.cloud_port, keys)
        relay = RelayProcess(config, workdir, start_timeout_s=60)
        # Nothing named "relay" on the command line: a long run must not be caught by a
        # `pkill -f relay` meant for another test's process on a shared machine.
        relay.config_path = relay.workdir / "gateway.yaml"
        relay.start()
        try:
            outcomes = _load_phase(relay, keys, seconds, workers, report)
            outcomes += _checks(relay, keys, outcomes, report)
            shutdown_outcomes = _shutdown_phase(relay, keys, shutdown_s, workers, report)
        finally:
            relay.stop()
        seen = stubs.collect()
    _cross_check(relay, outcomes + shutdown_outcomes, seen, report)
    return report


def _load_phase(relay: RelayProcess, keys: SoakKeys, seconds: float, workers: int,
                report: Report) -> list[Outcome]:
    pid = relay.process.pid
    started = time.monotonic()
    end = started + seconds
    ledger_from = end - min(LEDGER_WINDOW_S, seconds / 2)
    reload_at = started + seconds / 2
    stop = threading.Event()
    reloaded = threading.Event()
    outcomes: list[Outcome] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        client = Client(relay.port)
        rng = random.Random(index)
        mine: list[Outcome] = []
        while not stop.is_set() and time.monotonic() < end:
            roll = rng.random()
            stream = rng.random() < 0.5
            if time.monotonic() >= ledger_from and roll < 0.15:
                mine.append(client.send(keys.ledger, "chat", stream, "ledger", "ledger"))
            elif roll < 0.60:
                mine.append(client.send(keys.bulk, "chat", stream, "chat", "bulk"))
            elif roll < 0.80:
                mine.append(client.send(keys.bulk, "chat-fb", stream, "chat-fb", "bulk"))
            elif roll < 0.90 and reloaded.is_set():
                mine.append(client.send(keys.bulk, "chat-new", stream, "new-alias", "bulk"))
            else:
                mine.append(client.send(keys.tight, "chat", stream, "tight", "tight"))
        client.close()
        with lock:
            outcomes.extend(mine)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(workers)]
    for thread in threads:
        thread.start()
    warm_until = started + min(30, seconds / 5)
    while time.monotonic() < end:
        time.sleep(min(2.0, max(0.0, end - time.monotonic())))
        if time.monotonic() >= warm_until:
            rss, fds = _proc_sample(pid)
            report.rss_mb.append(round(rss, 1))
            report.fds.append(fds)
        if not reloaded.is_set() and time.monotonic() >= reload_at:
            changed = copy.deepcopy(relay.config)
            changed["models"]["chat-new"] = {"backend": "local", "upstream_model": "stub-chat-1"}
            relay.write_config(changed)
            relay.signal(signal.SIGHUP)
            relay.wait_for_record(lambda r: r.get("msg") == "config_reloaded", timeout_s=30)
            reloaded.set()
    for thread in threads:
        thread.join(timeout=60)
    elapsed = time.monotonic() - started
    report.outcomes = len(outcomes)
    report.rate = round(len(outcomes) / elapsed, 1)
    report.by_status = dict(collections.Counter(str(o.status) for o in outcomes))
    report.by_kind = dict(collections.Counter(o.kind for o in outcomes))
    return outcomes


def _checks(relay: RelayProcess, keys: SoakKeys, outcomes: list[Outcome], report: Report) -> list[Outcome]:
    problems = report.problems
    expected = {"chat": {200}, "chat-fb": {200}, "ledger": {200}, "new-alias": {200}, "tight": {200, 429}}
    for outcome in outcomes:
        if outcome.status not in expected[outcome.kind] or outcome.error:
            problems.append(f"{outcome.kind} request {outcome.rid}: status {outcome.status}, {outcome.error}")
    if not any(o.kind == "new-alias" for o in outcomes):
        problems.append("the alias added by the reload was never used")
    for outcome in outcomes:
        if outcome.kind == "chat-fb" and outcome.status == 200 and outcome.backend != "cloud":
            problems.append(f"fallback request {outcome.rid} served by {outcome.backend}")

    # In flight back to 0 once every client has its answer.
    deadline = time.monotonic() + 5
    while True:
        metrics = _metrics(relay.port)
        in_flight = {k: v for k, v in metrics.items() if k.startswith("relay_backend_in_flight")}
        if all(v == 0 for v in in_flight.values()) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    if any(v != 0 for v in in_flight.values()):
        problems.append(f"in-flight gauges not back to 0: {in_flight}")

    # relay_requests_total by status == the client's count by status.
    counted: collections.Counter[str] = collections.Counter()
    for sample, value in metrics.items():
        if sample.startswith("relay_requests_total{"):
            counted[_labels(sample)["status"]] += int(value)
    if dict(counted) != report.by_status:
        problems.append(f"relay_requests_total by status {dict(counted)} != client {report.by_status}")
    tight_429 = sum(1 for o in outcomes if o.kind == "tight" and o.status == 429)
    limited = sum(v for k, v in metrics.items()
                  if k.startswith("relay_rate_limited_total{") and _labels(k).get("key") == "tight")
    if limited != tight_429:
        problems.append(f"relay_rate_limited_total for tight {limited} != 429s seen {tight_429}")
    tight_admitted = sum(1 for o in outcomes if o.kind == "tight" and o.status == 200)
    minutes = int(report.seconds // 60) + 1
    if tight_admitted > TIGHT_RPM * minutes:
        problems.append(f"tight key: {tight_admitted} admitted in {report.seconds}s at rpm {TIGHT_RPM}")

    # The limiter charged the ledger key exactly what its answers used; the probe key (never
    # used) shows what the check request itself reserves.
    ledger = [o for o in outcomes if o.kind == "ledger" and o.status == 200]
    check = Client(relay.port)
    probes = [check.send(keys.probe, "chat", False, "probe", "probe")]
    reference = check.last_headers
    probes.append(check.send(keys.ledger, "chat", False, "probe", "ledger"))
    observed = check.last_headers
    check.close()
    reserved = LEDGER_TPM - int(reference["x-ratelimit-remaining-tokens"])
    want_tokens = LEDGER_TPM - sum(o.tokens for o in ledger) - reserved
    want_requests = LEDGER_RPM - len(ledger) - 1
    got_tokens = int(observed["x-ratelimit-remaining-tokens"])
    got_requests = int(observed["x-ratelimit-remaining-requests"])
    if (got_tokens, got_requests) != (want_tokens, want_requests):
        problems.append(f"ledger: remaining tokens/requests {got_tokens}/{got_requests}, "
                        f"expected {want_tokens}/{want_requests}")
    return probes


def _shutdown_phase(relay: RelayProcess, keys: SoakKeys, seconds: float, workers: int,
                    report: Report) -> list[Outcome]:
    """Load, SIGTERM halfway, load on until Relay refuses; returns every outcome."""
    outcomes: list[Outcome] = []
    lock = threading.Lock()
    give_up = time.monotonic() + seconds + 30

    def worker(index: int) -> None:
        client = Client(relay.port)
        mine: list[Outcome] = []
        refused = 0
        while refused < 3 and time.monotonic() < give_up:
            outcome = client.send(keys.bulk, "chat", index % 2 == 0, "chat", "bulk")
            mine.append(outcome)
            if outcome.status is None:
                refused += 1
                time.sleep(0.05)
        with lock:
            outcomes.extend(mine)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(workers)]
    for thread in threads:
        thread.start()
    time.sleep(seconds / 2)
    relay.signal(signal.SIGTERM)
    code = relay.wait(timeout_s=60)
    for thread in threads:
        thread.join(timeout=60)
    answered = [o for o in outcomes if o.status is not None]
    report.shutdown = {"requests": len(outcomes), "answered": len(answered),
                       "answered_200": sum(1 for o in answered if o.status == 200),
                       "refused": len(outcomes) - len(answered), "exit_code": code}
    if code != 0:
        report.problems.append(f"relay exited {code} after SIGTERM")
    for outcome in answered:
        if outcome.status != 200 or outcome.error:
            report.problems.append(f"during shutdown {outcome.rid}: {outcome.status} {outcome.error}")
    return outcomes


def _cross_check(relay: RelayProcess, outcomes: list[Outcome], seen: dict[str, Any], report: Report) -> None:
    """Client, access log and stubs agree on every request id."""
    problems = report.problems
    lines = collections.Counter(r.get("request_id") for r in relay.access_lines())
    ours = {o.rid for o in outcomes}
    report.access_lines = sum(n for rid, n in lines.items() if rid in ours)
    local = collections.Counter(rid for rid, _ in seen["local"])
    cloud = collections.Counter(rid for rid, _ in seen["cloud"])
    report.stub_calls = {"local": sum(local.values()), "cloud": sum(cloud.values()),
                         **{f"connections_{k}": v for k, v in seen["connections"].items()}}
    for outcome in outcomes:
        rid = outcome.rid
        if outcome.status is None:
            # Refused before admission: Relay never logged it and no upstream saw it.
            if lines[rid] or local[rid] or cloud[rid]:
                problems.append(f"{rid} got no answer but was admitted (log {lines[rid]}, upstream "
                                f"{local[rid] + cloud[rid]})")
            continue
        if lines[rid] != 1:
            problems.append(f"{rid} ({outcome.kind}, {outcome.status}) has {lines[rid]} access lines")
        upstream = (local[rid], cloud[rid])
        want = {("chat", 200): (1, 0), ("ledger", 200): (1, 0), ("new-alias", 200): (1, 0), ("tight", 200): (1, 0),
                ("tight", 429): (0, 0), ("chat-fb", 200): (1, 1), ("probe", 200): (1, 0)}.get(
            (outcome.kind, outcome.status))
        if upstream != want:
            problems.append(f"{rid} ({outcome.kind}, {outcome.status}): upstream calls {upstream}, expected {want}")
    unknown = (set(local) | set(cloud)) - ours
    if unknown:
        problems.append(f"{len(unknown)} upstream calls with request ids no client sent")
    if report.rss_mb and report.rss_mb[-1] > report.rss_mb[0] * 1.25 + 16:
        problems.append(f"RSS grew from {report.rss_mb[0]} MB to {report.rss_mb[-1]} MB")
    if report.fds and max(report.fds) > report.fds[0] + 16:
        problems.append(f"open files grew from {report.fds[0]} to {max(report.fds)}")


def main() -> int:
    import tempfile

    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 600
    workers = int(os.environ.get("SOAK_WORKERS", "12"))
    if keep := os.environ.get("SOAK_WORKDIR"):
        report = run(seconds, Path(keep), workers=workers)
    else:
        with tempfile.TemporaryDirectory(prefix="relay-soak-") as workdir:
            report = run(seconds, Path(workdir), workers=workers)
    print(report.summary())
    print("RSS MB samples:", report.rss_mb)
    print("open fds samples:", report.fds)
    for problem in report.problems[:50]:
        print("PROBLEM:", problem)
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
