"""TLS end to end: HTTPS on Relay's listener (renewed on SIGHUP), an upstream over HTTPS trusted
through `ca_file`, and limits shared through a redis-server that speaks only TLS (`rediss://`).

Certificates are made per test with the openssl command: a test CA, and server certificates for
`localhost` and `127.0.0.1` that it signed.
"""

from __future__ import annotations

import copy
import hashlib
import shutil
import signal
import socket
import ssl
import subprocess
import time
import urllib.request
from pathlib import Path

import httpx2 as httpx  # the HTTP client the openai SDK is built on
import openai
import pytest

from relay_configs import standard_config
from relay_process import RelayProcess, free_port
from stub_upstream import StubUpstream

OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
REDIS_CLI = shutil.which("redis-cli") or "/usr/bin/redis-cli"


class CertificateAuthority:
    """A throwaway CA in `directory` that signs server certificates on request."""

    def __init__(self, directory: Path, name: str = "ca"):
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.cert = directory / f"{name}.crt"
        self.key = directory / f"{name}.key"
        self._openssl("req", "-x509", *self._new_ec_key(self.key), "-out", str(self.cert), "-days", "2",
                      "-subj", f"/CN=Relay test {name}")

    def issue(self, name: str) -> tuple[Path, Path]:
        """A new certificate and key for localhost/127.0.0.1; each call makes a distinct one."""
        cert, key, csr = (self.directory / f"{name}.{ext}" for ext in ("crt", "key", "csr"))
        extensions = self.directory / "san.ext"
        extensions.write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        self._openssl("req", *self._new_ec_key(key), "-out", str(csr), "-subj", "/CN=localhost")
        self._openssl("x509", "-req", "-in", str(csr), "-CA", str(self.cert), "-CAkey", str(self.key),
                      "-CAcreateserial", "-out", str(cert), "-days", "2", "-extfile", str(extensions))
        return cert, key

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))

    @staticmethod
    def _new_ec_key(key: Path) -> list[str]:
        return ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key)]

    def _openssl(self, *arguments: str) -> None:
        subprocess.run([OPENSSL, *arguments], cwd=self.directory, check=True, capture_output=True)


def der_fingerprint(pem_path: Path) -> str:
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem_path.read_text())).hexdigest()


class TLSRelayProcess(RelayProcess):
    """`relay serve` with `server.tls`: its URLs are https, and readiness is polled through TLS."""

    def __init__(self, *args, ca: CertificateAuthority, **kwargs):
        super().__init__(*args, **kwargs)
        self.ca = ca

    @property
    def base_url(self) -> str:
        return f"https://localhost:{self.port}"

    def _wait_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"relay exited with {self.process.returncode}\n{self.diagnostics()}")
            try:
                with urllib.request.urlopen(self.url("/healthz"), timeout=2, context=self.ca.client_context()) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"relay not ready over TLS\n{self.diagnostics()}")

    def served_certificate(self) -> str:
        """SHA-256 of the certificate a new connection is shown (verified against the test CA)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as raw:
            with self.ca.client_context().wrap_socket(raw, server_hostname="localhost") as tls:
                return hashlib.sha256(tls.getpeercert(binary_form=True)).hexdigest()


@pytest.fixture
def ca(tmp_path: Path) -> CertificateAuthority:
    return CertificateAuthority(tmp_path / "pki")


@pytest.fixture
def start_tls_relay(tmp_path: Path):
    started: list[RelayProcess] = []

    def start(config: dict, ca: CertificateAuthority) -> TLSRelayProcess:
        process = TLSRelayProcess(config, tmp_path / f"relay-{len(started)}", ca=ca)
        started.append(process)
        return process.start()

    yield start
    for process in started:
        process.stop()


def _tls_config(stub, keys, cert: Path, key: Path) -> dict:
    config = standard_config(stub.base_url, keys)
    config["server"]["tls"] = {"cert_path": str(cert), "key_path": str(key)}
    return config


def test_the_openai_sdk_gets_answers_over_https(stub, keys, ca, start_tls_relay):
    cert, key = ca.issue("server")
    relay = start_tls_relay(_tls_config(stub, keys, cert, key), ca)
    assert relay.wait_for_record(lambda r: r.get("msg") == "listening")["address"].startswith("https://")

    with httpx.Client(verify=ca.client_context()) as http_client, openai.OpenAI(
        base_url=relay.url("/v1"), api_key=keys.main, http_client=http_client, max_retries=0
    ) as client:
        answer = client.chat.completions.create(model="chat-a", messages=[{"role": "user", "content": "hi there"}])
        assert answer.model == "chat-a" and answer.choices[0].message.content
        stream = client.chat.completions.create(
            model="chat-a", messages=[{"role": "user", "content": "hi there"}], stream=True
        )
        assert "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)

    # A client that does not trust the test CA is refused by its own TLS check.
    with pytest.raises(httpx.ConnectError):
        httpx.get(relay.url("/healthz"))
    # Plain HTTP on the TLS port gets no HTTP answer.
    with socket.create_connection(("127.0.0.1", relay.port), timeout=5) as plain:
        plain.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert not plain.recv(4096).startswith(b"HTTP/")


def test_sighup_serves_a_renewed_certificate_and_keeps_the_old_one_when_the_new_is_bad(
    stub, keys, ca, start_tls_relay
):
    cert, key = ca.issue("server")
    relay = start_tls_relay(_tls_config(stub, keys, cert, key), ca)
    original = der_fingerprint(cert)
    assert relay.served_certificate() == original

    with httpx.Client(verify=ca.client_context()) as kept_alive:
        assert kept_alive.get(relay.url("/healthz")).status_code == 200

        # Renewal in place, as certbot or cert-manager do it: same paths, new files.
        renewed_cert, renewed_key = ca.issue("renewed")
        shutil.copy(renewed_cert, cert)
        shutil.copy(renewed_key, key)
        relay.signal(signal.SIGHUP)
        relay.wait_for_record(lambda r: r.get("msg") == "config_reloaded")
        assert der_fingerprint(renewed_cert) != original
        assert relay.served_certificate() == der_fingerprint(renewed_cert)
        # The connection opened before the reload carries on.
        assert kept_alive.get(relay.url("/healthz")).status_code == 200

    # A broken certificate is refused; the renewed one stays in service.
    cert.write_text("-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n")
    relay.signal(signal.SIGHUP)
    failed = relay.wait_for_record(lambda r: r.get("msg") == "reload_failed")
    assert any("server.tls.cert_path" in problem for problem in failed["problems"])
    assert relay.served_certificate() == der_fingerprint(renewed_cert)


def test_an_https_upstream_is_reached_through_its_ca_file(keys, ca, start_relay, tmp_path):
    upstream_ca = CertificateAuthority(tmp_path / "upstream-pki", name="upstream-ca")
    cert, key = upstream_ca.issue("upstream")
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    with StubUpstream() as upstream:
        upstream._server.socket = server_context.wrap_socket(upstream._server.socket, server_side=True)
        https_url = f"https://localhost:{upstream.port}"

        trusted = standard_config(https_url, keys)
        trusted["backends"]["stub"]["ca_file"] = str(upstream_ca.cert)
        relay = start_relay(trusted)
        with openai.OpenAI(base_url=relay.url("/v1"), api_key=keys.main, max_retries=0) as client:
            answer = client.chat.completions.create(model="chat-a", messages=[{"role": "user", "content": "hello"}])
        assert answer.choices[0].message.content
        assert upstream.requests and upstream.requests[-1].path == "/v1/chat/completions"

        # Without the CA file the system's roots are used: they do not know the test CA.
        untrusting = copy.deepcopy(trusted)
        del untrusting["backends"]["stub"]["ca_file"]
        relay = start_relay(untrusting)
        seen = len(upstream.requests)
        with openai.OpenAI(base_url=relay.url("/v1"), api_key=keys.main, max_retries=0) as client:
            with pytest.raises(openai.APIStatusError) as refused:
                client.chat.completions.create(model="chat-a", messages=[{"role": "user", "content": "hello"}])
        assert refused.value.status_code in (502, 503)
        assert len(upstream.requests) == seen


class TLSRedis:
    """A redis-server that takes clients only over TLS, plus a plain port bound for inspection."""

    def __init__(self, workdir: Path, ca: CertificateAuthority):
        cert, key = ca.issue("redis")
        self.tls_port = free_port()
        self.plain_port = free_port()
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(self.plain_port), "--tls-port", str(self.tls_port),
             "--tls-cert-file", str(cert), "--tls-key-file", str(key), "--tls-ca-cert-file", str(ca.cert),
             "--tls-auth-clients", "no", "--save", "", "--appendonly", "no", "--dir", str(workdir)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.tls_port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server with TLS did not start")

    def keys(self) -> list[str]:
        output = subprocess.run([REDIS_CLI, "-p", str(self.plain_port), "--scan"], capture_output=True, text=True)
        return output.stdout.split()

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)


def test_limits_are_shared_through_a_rediss_url(stub, keys, ca, start_relay, tmp_path):
    redis = TLSRedis(tmp_path, ca)
    try:
        config = standard_config(stub.base_url, keys)
        config["redis_url"] = f"rediss://localhost:{redis.tls_port}/0"
        config["redis_ca_file"] = str(ca.cert)
        config["api_keys"][0]["limits"] = {"rpm": 2}
        relay = start_relay(config)
        with openai.OpenAI(base_url=relay.url("/v1"), api_key=keys.main, max_retries=0) as client:
            for _ in range(2):
                client.chat.completions.create(model="chat-a", messages=[{"role": "user", "content": "hi"}])
            with pytest.raises(openai.RateLimitError):
                client.chat.completions.create(model="chat-a", messages=[{"role": "user", "content": "hi"}])
        ready = httpx.get(relay.url("/readyz")).json()
        assert ready["rate_limits"] == "redis"
        assert redis.keys(), "the limiter's windows should be in Redis"
    finally:
        redis.stop()


def test_a_client_that_never_finishes_the_handshake_is_cut_off_at_the_header_timeout(
    stub, keys, ca, start_tls_relay
):
    cert, key = ca.issue("server")
    config = _tls_config(stub, keys, cert, key)
    config["server"]["header_timeout_s"] = 1
    relay = start_tls_relay(config, ca)
    with socket.create_connection(("127.0.0.1", relay.port), timeout=10) as silent:
        started = time.monotonic()
        assert silent.recv(1) == b""  # closed by Relay, not by this client's timeout
        assert time.monotonic() - started < 5
