"""Scale-out proof: three `relay serve` replicas sharing one Redis behind a round-robin nginx.

    client ──▶ nginx (127.0.0.1, round robin) ──▶ relay ×3 ──▶ stub upstream
                                                     └──────▶ redis-server (shared limits)

What it shows (docs/deployment.md explains the nginx settings):

- limits are exact across replicas: a key with `rpm: 10` gets exactly ten 200s through the
  front however the requests are spread, and every other request a 429;
- a replica killed with SIGKILL mid-traffic fails only the requests it had in flight: nginx's
  default `proxy_next_upstream error timeout` moves a POST to the next replica when the
  connection cannot be made (the request was never sent), and does *not* replay a POST that
  was already sent (that would be `non_idempotent`, which could run a completion twice);
- SIGTERM drains without a failed request: the replica keeps serving for `drain_delay_s`, then
  refuses new connections (retried on the next replica like above) while its requests in
  flight finish. nginx open source has no active health checks, so it never reads `/readyz`;
  the drain delay is for load balancers that do (Kubernetes endpoints, HAProxy, cloud LBs);
- a replica added to the upstream (nginx reload) serves at once and shares the same limits.

Redis is `$RELAY_TEST_REDIS_URL` (scripts/test starts one) on a database of its own, else a
redis-server this module starts. nginx is Debian's `nginx-light`. Everything listens on
loopback and is stopped at the end; the whole module takes well under a minute.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest

from relay_process import RelayProcess, free_port, key_hash, new_key

#: A database of its own on a shared Redis, so other tests' keys never meet ours.
REDIS_DB = 9
REPLICAS = 3


def _which(name: str) -> str | None:
    return shutil.which(name) or next(
        (str(p) for p in (Path("/usr/sbin") / name, Path("/usr/bin") / name) if p.is_file()), None
    )


# ---- Redis ----------------------------------------------------------------------------------


def _redis_ping(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    shared = os.environ.get("RELAY_TEST_REDIS_URL")
    if shared:
        yield re.sub(r"(/\d+)?$", f"/{REDIS_DB}", shared.rstrip("/"), count=1)
        return
    binary = _which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    workdir = tmp_path_factory.mktemp("redis")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
         "--dir", str(workdir), "--logfile", str(workdir / "redis.log")],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not _redis_ping("127.0.0.1", port):
            assert process.poll() is None and time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/{REDIS_DB}"
    finally:
        process.terminate()
        process.wait(timeout=10)


# ---- nginx ----------------------------------------------------------------------------------


class Nginx:
    """nginx in the foreground with a config of its own in `workdir`, on a loopback port."""

    def __init__(self, workdir: Path, upstreams: list[int]):
        binary = _which("nginx")
        if binary is None:
            pytest.skip("nginx is not installed (apt-get install nginx-light)")
        self.binary = binary
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.upstreams = list(upstreams)
        self.process: subprocess.Popen[bytes] | None = None

    def config(self) -> str:
        servers = "\n".join(f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;" for port in self.upstreams)
        d = self.workdir
        # As root, workers would run as nobody, who cannot enter pytest's 0700 temp dirs.
        user = "user root;" if os.geteuid() == 0 else ""
        return f"""
{user}
daemon off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {d}/access.log;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;

    upstream relay {{
        # Round robin. Passive health checks only (nginx open source): one failed connect
        # takes a replica out for fail_timeout, then it is tried again.
{servers}
        # No pool of idle connections to the replicas (no `keepalive`): a replica that closes
        # an idle pooled connection (at the end of its drain, or after header_timeout_s) while
        # nginx is sending a POST on it fails that POST, which nginx must not replay.
    }}
    server {{
        listen 127.0.0.1:{self.port};
        location / {{
            proxy_pass http://relay;
            proxy_http_version 1.1;
            proxy_buffering off;               # streams go out event by event
            proxy_request_buffering off;
            proxy_connect_timeout 1s;
            proxy_read_timeout 60s;
            # The default, spelled out: a POST moves to the next replica only when it could not
            # be sent (connection refused or reset before the request went out). No
            # non_idempotent: a completion already sent is never run twice.
            proxy_next_upstream error timeout;
            proxy_next_upstream_tries 3;
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"""

    def write_config(self) -> None:
        (self.workdir / "nginx.conf").write_text(self.config())

    def start(self) -> "Nginx":
        self.write_config()
        test = subprocess.run(
            [self.binary, "-t", "-p", str(self.workdir), "-c", str(self.workdir / "nginx.conf"),
             "-e", str(self.workdir / "error.log")],
            capture_output=True, text=True,
        )
        assert test.returncode == 0, f"nginx -t failed:\n{test.stderr}"
        self.process = subprocess.Popen(
            [self.binary, "-p", str(self.workdir), "-c", str(self.workdir / "nginx.conf"),
             "-e", str(self.workdir / "error.log")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=(self.workdir / "stderr.log").open("wb"),
        )
        deadline = time.monotonic() + 10
        while True:
            assert self.process.poll() is None, f"nginx exited:\n{self.diagnostics()}"
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                assert time.monotonic() < deadline, f"nginx did not listen:\n{self.diagnostics()}"
                time.sleep(0.05)

    def reload(self, upstreams: list[int]) -> None:
        """New upstream list; SIGHUP starts new workers with it and retires the old ones.

        Returns once the old worker has exited: until then it may still accept connections and
        send them to the old list (seen on a loaded machine)."""
        assert self.process is not None
        self.upstreams = list(upstreams)
        self.write_config()
        old = self.workers()
        self.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while True:
            current = self.workers()
            if current and current.isdisjoint(old):
                return
            assert time.monotonic() < deadline, f"nginx did not replace its workers:\n{self.diagnostics()}"
            time.sleep(0.02)

    def workers(self) -> set[int]:
        """The master's child processes: its workers."""
        assert self.process is not None
        pid = self.process.pid
        return {int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def diagnostics(self) -> str:
        log = self.workdir / "error.log"
        return log.read_text(errors="replace")[-3000:] if log.exists() else ""


# ---- traffic --------------------------------------------------------------------------------


@dataclass
class Outcome:
    started: float
    ended: float
    status: int  # 0 = the connection to the front failed
    upstream: str
    body: bytes
    headers: dict[str, str]


def post_chat(port: int, key: str, *, delay_ms: int = 0, timeout_s: float = 30) -> Outcome:
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
    try:
        connection.request(
            "POST", "/v1/chat/completions",
            body=b'{"model":"chat","messages":[{"role":"user","content":"hello there"}],"max_tokens":16}',
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json",
                     "x-stub-delay-ms": str(delay_ms)},
        )
        response = connection.getresponse()
        body = response.read()
        headers = {k.lower(): v for k, v in response.getheaders()}
        return Outcome(started, time.monotonic(), response.status, headers.get("x-upstream", ""), body, headers)
    except (OSError, http.client.HTTPException) as error:
        return Outcome(started, time.monotonic(), 0, "", repr(error).encode(), {})
    finally:
        connection.close()


class Traffic:
    """`workers` clients sending chat completions back to back until stopped."""

    def __init__(self, port: int, key: str, *, workers: int, delay_ms: int):
        self.port, self.key, self.delay_ms = port, key, delay_ms
        self.outcomes: list[Outcome] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(workers)]

    def _run(self) -> None:
        while not self._stop.is_set():
            outcome = post_chat(self.port, self.key, delay_ms=self.delay_ms)
            with self._lock:
                self.outcomes.append(outcome)

    def __enter__(self) -> "Traffic":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def snapshot(self) -> list[Outcome]:
        with self._lock:
            return list(self.outcomes)


def _port_of(upstream: str) -> int | None:
    """The last replica nginx tried (`$upstream_addr` lists each one tried, comma-separated)."""
    match = re.search(r":(\d+)\s*$", upstream)
    return int(match.group(1)) if match else None


def _describe(outcomes: list[Outcome]) -> str:
    return "\n".join(f"{o.started:.3f}-{o.ended:.3f} {o.status} {o.upstream} {o.body[:120]!r}" for o in outcomes)


# ---- the fleet ------------------------------------------------------------------------------


@dataclass
class Fleet:
    replicas: list[RelayProcess]
    nginx: Nginx
    config: dict[str, Any]
    limited_key: str
    free_key: str
    workdir: Path

    def add_replica(self) -> RelayProcess:
        replica = RelayProcess(self.config, self.workdir / f"relay-{len(self.replicas)}")
        replica.start()
        self.replicas.append(replica)
        return replica


def fleet_config(stub_url: str, redis_url: str, limited_key: str, free_key: str) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]  # fresh limiter windows in Redis on every run
    return {
        "server": {"drain_delay_s": 1, "shutdown_grace_s": 10},
        "log": {"level": "info", "format": "json"},
        "redis_url": redis_url,
        "rate_limit_failure_mode": "closed",
        "backends": {"stub": {"type": "vllm", "base_url": stub_url, "max_concurrency": 64,
                              "circuit": {"failures": 1000, "cooldown_s": 1}}},
        "models": {"chat": {"backend": "stub", "upstream_model": "stub-chat-1"}},
        "api_keys": [
            {"name": f"limited-{tag}", "hash": key_hash(limited_key), "scopes": ["chat"], "limits": {"rpm": 10}},
            {"name": f"free-{tag}", "hash": key_hash(free_key), "scopes": ["chat"]},
        ],
    }


@pytest.fixture
def fleet(stub, redis_url: str, tmp_path: Path) -> Iterator[Fleet]:
    limited_key, free_key = new_key(), new_key()
    config = fleet_config(stub.base_url, redis_url, limited_key, free_key)
    replicas: list[RelayProcess] = []
    nginx: Nginx | None = None
    try:
        for index in range(REPLICAS):
            replica = RelayProcess(config, tmp_path / f"relay-{index}")
            replicas.append(replica)
            replica.start()
        nginx = Nginx(tmp_path / "nginx", [r.port for r in replicas])
        nginx.start()
        yield Fleet(replicas, nginx, config, limited_key, free_key, tmp_path)
    finally:
        if nginx is not None:
            nginx.stop()
        for replica in replicas:
            replica.stop(timeout_s=15)


# ---- the tests ------------------------------------------------------------------------------


def test_limits_are_exact_across_replicas(fleet: Fleet):
    # 25 requests at once through the front: round robin spreads them over all three replicas,
    # and the shared sliding window in Redis admits exactly rpm of them.
    with ThreadPoolExecutor(max_workers=25) as pool:
        outcomes = list(pool.map(lambda _: post_chat(fleet.nginx.port, fleet.limited_key), range(25)))
    statuses = sorted(o.status for o in outcomes)
    assert statuses.count(200) == 10, _describe(outcomes)
    assert statuses.count(429) == 15, _describe(outcomes)
    ports = {r.port for r in fleet.replicas}
    assert {_port_of(o.upstream) for o in outcomes} == ports, "every replica took part"
    assert len({_port_of(o.upstream) for o in outcomes if o.status == 200}) >= 2, _describe(outcomes)
    for outcome in outcomes:
        if outcome.status == 429:
            assert b"rate_limit_exceeded" in outcome.body
            assert int(outcome.headers["retry-after"]) >= 1
    # Sequentially, through any replica: still nothing left in the window.
    for _ in range(REPLICAS):
        assert post_chat(fleet.nginx.port, fleet.limited_key).status == 429
    # Each replica's own access log agrees: ten 200s in all.
    served = sum(
        1 for replica in fleet.replicas for line in replica.access_lines() if line.get("status") == 200
    )
    assert served == 10


def test_a_replica_killed_mid_traffic_fails_only_its_requests_in_flight(fleet: Fleet):
    victim = fleet.replicas[1]
    with Traffic(fleet.nginx.port, fleet.free_key, workers=6, delay_ms=150) as traffic:
        time.sleep(1.5)
        assert victim.process is not None
        killed_at = time.monotonic()
        victim.process.kill()  # SIGKILL: no drain, its connections are reset
        victim.wait(timeout_s=5)
        # Until the kernel has torn the process down, its listening socket still completes
        # handshakes: a request connected before this instant was in the victim's hands.
        dead_at = time.monotonic()
        time.sleep(2.0)
    outcomes = traffic.snapshot()
    after = [o for o in outcomes if o.started > dead_at]
    failed = [o for o in outcomes if o.status != 200]
    print(f"\nSIGKILL: {len(outcomes)} requests, {len(failed)} failed, {len(after)} started after the kill")
    assert len(after) >= 10, "traffic went on after the kill"
    # Every failure was a request the victim had in flight: routed to it, started before it
    # died, ended when it died. At most one per client, and none that started after.
    window = f"killed at {killed_at:.3f}, dead at {dead_at:.3f}\n"
    for outcome in failed:
        assert outcome.status == 502, window + _describe(failed)
        assert _port_of(outcome.upstream) == victim.port, window + _describe(failed)
        assert outcome.started < dead_at and outcome.ended >= killed_at, window + _describe(failed)
    assert len(failed) <= 6
    assert all(o.status == 200 for o in after), _describe([o for o in after if o.status != 200])
    # The survivors took over the victim's share.
    survivors = {r.port for r in fleet.replicas if r is not victim}
    assert {_port_of(o.upstream) for o in after} == survivors


def test_sigterm_drains_a_replica_without_a_failed_request(fleet: Fleet):
    draining = fleet.replicas[0]
    with Traffic(fleet.nginx.port, fleet.free_key, workers=6, delay_ms=150) as traffic:
        time.sleep(1.0)
        draining.signal(signal.SIGTERM)
        signalled_at = time.monotonic()
        time.sleep(0.3)
        # Not ready any more (load balancers that poll /readyz stop sending), still serving.
        ready = http.client.HTTPConnection("127.0.0.1", draining.port, timeout=5)
        ready.request("GET", "/readyz")
        assert ready.getresponse().status == 503
        ready.close()
        assert draining.wait(timeout_s=15) == 0
        exited_at = time.monotonic()
        time.sleep(1.0)
    outcomes = traffic.snapshot()
    failed = [o for o in outcomes if o.status != 200]
    by_draining = [o for o in outcomes if _port_of(o.upstream) == draining.port and o.started > signalled_at]
    print(f"\nSIGTERM: {len(outcomes)} requests, {len(failed)} failed; the draining replica served "
          f"{len(by_draining)} after the signal and exited {exited_at - signalled_at:.1f}s after it")
    assert failed == [], (
        f"SIGTERM at {signalled_at:.3f}, exit at {exited_at:.3f}\n{_describe(failed)}\n{fleet.nginx.diagnostics()}"
    )
    # It kept serving during drain_delay_s (nginx, which does not read /readyz, kept sending).
    assert by_draining, "the draining replica served nothing after SIGTERM"
    assert len([o for o in outcomes if o.started > exited_at]) >= 5


def test_a_replica_added_serves_at_once_with_the_same_limits(fleet: Fleet):
    # Use up half of the limited key's window on the first three replicas.
    for _ in range(5):
        assert post_chat(fleet.nginx.port, fleet.limited_key).status == 200
    added = fleet.add_replica()
    fleet.nginx.reload([r.port for r in fleet.replicas])
    # The new worker sends to each replica in turn, the added one included.
    deadline = time.monotonic() + 10
    seen_new = False
    while not seen_new and time.monotonic() < deadline:
        outcome = post_chat(fleet.nginx.port, fleet.free_key)
        assert outcome.status == 200, _describe([outcome])
        seen_new = _port_of(outcome.upstream) == added.port
    assert seen_new, "nginx never sent a request to the added replica"
    # The added replica sees the same window: five more 200s in all, then 429, wherever they land.
    outcomes = [post_chat(fleet.nginx.port, fleet.limited_key) for _ in range(12)]
    assert [o.status for o in outcomes].count(200) == 5, _describe(outcomes)
    assert any(_port_of(o.upstream) == added.port for o in outcomes), _describe(outcomes)
    direct = post_chat(added.port, fleet.limited_key)
    assert direct.status == 429, "the added replica shares the window in Redis"
