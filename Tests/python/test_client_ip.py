"""`client_ip` behind a real nginx (Debian's), and a forged X-Forwarded-For ignored.

    client 127.0.0.2 ──▶ nginx (adds X-Forwarded-For, connects from 127.0.0.1) ──▶ relay ──▶ stub
    client 127.0.0.3 ───────────────────────────────────────────────────────────▶ relay

Relay trusts only 127.0.0.1/32 (nginx). Linux routes all of 127.0.0.0/8 to loopback, so a
client can come from an address of its own by binding it, and the test tells the hops apart.
"""

from __future__ import annotations

import http.client
import json
import os
from pathlib import Path

import pytest

from relay_configs import standard_config
from test_scale_out import Nginx

CHAT = json.dumps({"model": "chat-a", "messages": [{"role": "user", "content": "hi"}]}).encode()


class ForwardingNginx(Nginx):
    """One proxy in front of one relay, setting X-Forwarded-For the way most deployments do."""

    def config(self) -> str:
        d = self.workdir
        user = "user root;" if os.geteuid() == 0 else ""
        return f"""
{user}
daemon off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log {d}/access.log;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    server {{
        listen 127.0.0.1:{self.port};
        location / {{
            proxy_pass http://127.0.0.1:{self.upstreams[0]};
            proxy_http_version 1.1;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_bind 127.0.0.1;
        }}
    }}
}}
"""


def post(port: int, key: str, *, source: str, forwarded_for: str | None = None) -> str:
    """Sends a chat completion from `source`; the request id Relay gave it."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    try:
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        if forwarded_for is not None:
            headers["X-Forwarded-For"] = forwarded_for
        connection.request("POST", "/v1/chat/completions", body=CHAT, headers=headers)
        response = connection.getresponse()
        response.read()
        assert response.status == 200
        return response.getheader("x-request-id")
    finally:
        connection.close()


@pytest.fixture
def behind_nginx(stub, keys, start_relay, tmp_path: Path):
    relay = start_relay(standard_config(stub.base_url, keys, trusted_proxies=["127.0.0.1/32"]))
    nginx = ForwardingNginx(tmp_path / "nginx", [relay.port]).start()
    try:
        yield relay, nginx
    finally:
        nginx.stop()


def client_ip(relay, request_id: str) -> str:
    return relay.wait_for_access_line(request_id)["client_ip"]


def test_client_behind_trusted_nginx_is_the_address_nginx_saw(behind_nginx, keys):
    relay, nginx = behind_nginx
    assert client_ip(relay, post(nginx.port, keys.main, source="127.0.0.2")) == "127.0.0.2"


def test_forged_forwarded_for_through_nginx_is_ignored(behind_nginx, keys):
    relay, nginx = behind_nginx
    # nginx appends the address it saw: "203.0.113.66, 127.0.0.2"; the client's own part is not believed.
    request_id = post(nginx.port, keys.main, source="127.0.0.2", forwarded_for="203.0.113.66")
    assert client_ip(relay, request_id) == "127.0.0.2"


def test_untrusted_peer_forwarded_for_is_ignored(behind_nginx, keys):
    relay, _ = behind_nginx
    request_id = post(relay.port, keys.main, source="127.0.0.3", forwarded_for="203.0.113.66")
    assert client_ip(relay, request_id) == "127.0.0.3"
