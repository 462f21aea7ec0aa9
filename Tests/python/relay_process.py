"""Run the built `relay` binary as a child process for end-to-end tests.

Usage::

    with RelayProcess(config_dict, workdir=tmp_path) as relay:
        httpx.get(relay.url("/healthz"))
        relay.access_lines(request_id="abc")   # parsed JSON access-log lines from stdout

The binary is `.build/debug/relay` in the repository, or `$RELAY_BIN` (e.g. a release build).
The config is written as JSON, which is YAML too.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import signal
import socket
import string
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable

REPO_ROOT = Path(__file__).resolve().parents[2]

__all__ = ["RelayProcess", "RelayStartError", "relay_binary", "free_port", "new_key", "key_hash", "REPO_ROOT"]


class RelayStartError(RuntimeError):
    pass


def relay_binary() -> Path:
    """The relay executable under test: `$RELAY_BIN`, else the repository's debug build."""
    configured = os.environ.get("RELAY_BIN")
    path = Path(configured) if configured else REPO_ROOT / ".build" / "debug" / "relay"
    return path.resolve()


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def new_key(prefix: str = "rk-test-") -> str:
    alphabet = string.ascii_letters + string.digits
    return prefix + "".join(secrets.choice(alphabet) for _ in range(32))


def key_hash(key: str) -> str:
    """The config's `hash:` value for a key (SPEC: `sha256:<hex>`)."""
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def with_stub_cues(config: dict[str, Any]) -> dict[str, Any]:
    """The config with each backend that sets no `forward_headers` of its own forwarding
    `x-stub-*`: the stub upstreams take their cues (delays, statuses) from those request headers,
    and Relay forwards only the client headers it lists (docs/security.md)."""
    backends = config.get("backends") if isinstance(config, dict) else None
    if not isinstance(backends, dict):
        return config
    cued = {name: ({"forward_headers": ["x-stub-*"], **backend}
                   if isinstance(backend, dict) and "forward_headers" not in backend else backend)
            for name, backend in backends.items()}
    return {**config, "backends": cued}


class RelayProcess:
    """One `relay serve` child process on a free loopback port, with its stdout captured."""

    def __init__(
        self,
        config: dict[str, Any],
        workdir: Path,
        *,
        env: dict[str, str] | None = None,
        binary: Path | None = None,
        port: int | None = None,
        start_timeout_s: float = 30.0,
        nice: int | None = None,
        run_as: int | None = None,
    ):
        self.config = config
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.config_path = self.workdir / "relay.yaml"
        self.binary = binary or relay_binary()
        self.port = port or free_port()
        self.env = env or {}
        self.start_timeout_s = start_timeout_s
        self.nice = nice
        #: A user id to run relay as (with the same group id, no supplementary groups).
        self.run_as = run_as
        self.lines: list[str] = []
        self._lines_lock = threading.Lock()
        self._new_line = threading.Condition(self._lines_lock)
        self.process: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None
        self.stderr_path = self.workdir / "relay.stderr"
        self.stdout_path = self.workdir / "relay.stdout"

    # ---- lifecycle ------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def write_config(self, config: dict[str, Any] | None = None) -> None:
        if config is not None:
            self.config = config
        self.config_path.write_text(json.dumps(with_stub_cues(self.config), indent=2) + "\n")

    def start(self) -> "RelayProcess":
        if not self.binary.is_file():
            raise RelayStartError(
                f"relay binary not found at {self.binary}: build it (swift build) or set RELAY_BIN"
            )
        self.write_config()
        env = dict(os.environ)
        # A coverage-instrumented build writes default.profraw into its cwd unless told otherwise.
        env.setdefault("LLVM_PROFILE_FILE", str(self.workdir / "relay-%p.profraw"))
        env.update(self.env)
        # `nice` execs the binary, so the child's pid is still relay's.
        prefix = ["nice", "-n", str(self.nice)] if self.nice is not None else []
        if self.run_as is not None:
            prefix += ["setpriv", f"--reuid={self.run_as}", f"--regid={self.run_as}", "--clear-groups"]
        self.process = subprocess.Popen(
            prefix + [str(self.binary), "serve", "--config", str(self.config_path), "--host", "127.0.0.1",
                      "--port", str(self.port)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self.stderr_path.open("wb"),
            cwd=self.workdir,
            env=env,
        )
        self._reader = threading.Thread(target=self._read_stdout, name="relay-stdout", daemon=True)
        self._reader.start()
        try:
            self._wait_ready()
        except BaseException:
            self.stop(timeout_s=5)
            raise
        return self

    def _read_stdout(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        with self.stdout_path.open("w") as copy:
            for raw in self.process.stdout:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                copy.write(line + "\n")
                copy.flush()
                with self._new_line:
                    self.lines.append(line)
                    self._new_line.notify_all()

    def _wait_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RelayStartError(f"relay exited with {self.process.returncode} while starting\n{self.diagnostics()}")
            if any("listening" in line for line in self.lines):
                try:
                    with urllib.request.urlopen(self.url("/healthz"), timeout=2) as response:
                        if response.status == 200 and json.loads(response.read()) == {"status": "ok"}:
                            return
                except (OSError, urllib.error.URLError, ValueError):
                    pass
            time.sleep(0.05)
        raise RelayStartError(f"relay not ready within {self.start_timeout_s}s\n{self.diagnostics()}")

    def signal(self, signum: int) -> None:
        assert self.process is not None
        self.process.send_signal(signum)

    def wait(self, timeout_s: float) -> int:
        assert self.process is not None
        code = self.process.wait(timeout=timeout_s)
        if self._reader is not None:
            self._reader.join(timeout=5)
        return code

    def stop(self, timeout_s: float = 15.0) -> int | None:
        """SIGTERM, wait for a clean exit (SIGKILL past the timeout); the exit code."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self._reader is not None:
            self._reader.join(timeout=5)
        return self.process.returncode

    def __enter__(self) -> "RelayProcess":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- logs -----------------------------------------------------------------------------

    def records(self) -> list[dict[str, Any]]:
        """Every stdout line that is a JSON object."""
        with self._lines_lock:
            lines = list(self.lines)
        out = []
        for line in lines:
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                out.append(value)
        return out

    def access_lines(self, request_id: str | None = None) -> list[dict[str, Any]]:
        """Access-log lines (`"msg": "request"`), optionally for one request id."""
        return [
            r for r in self.records()
            if r.get("msg") == "request" and (request_id is None or r.get("request_id") == request_id)
        ]

    def wait_for_record(self, predicate: Callable[[dict[str, Any]], bool], timeout_s: float = 5.0) -> dict[str, Any]:
        """The first log record matching `predicate`, waiting for it to be written."""
        deadline = time.monotonic() + timeout_s
        while True:
            for record in self.records():
                if predicate(record):
                    return record
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no matching log line within {timeout_s}s; relay stdout:\n{self.log_text()}")
            with self._new_line:
                self._new_line.wait(timeout=min(remaining, 0.2))

    def wait_for_access_line(self, request_id: str, timeout_s: float = 5.0) -> dict[str, Any]:
        return self.wait_for_record(lambda r: r.get("msg") == "request" and r.get("request_id") == request_id, timeout_s)

    def log_text(self, last: int = 60) -> str:
        with self._lines_lock:
            return "\n".join(self.lines[-last:])

    def diagnostics(self) -> str:
        stderr = self.stderr_path.read_text(errors="replace")[-4000:] if self.stderr_path.exists() else ""
        return f"--- relay stdout (last lines) ---\n{self.log_text()}\n--- relay stderr ---\n{stderr}"
