"""No secret in anything Relay writes: a whole run of traffic, then every byte is scanned."""

from __future__ import annotations

import http.client

import raw_http
from relay_configs import UPSTREAM_API_KEY, standard_config
from relay_process import free_port


def test_no_key_or_upstream_secret_in_logs_metrics_errors_or_headers(stub, keys, start_relay):
    admin_port = free_port()
    config = standard_config(stub.base_url, keys, admin_port=admin_port)
    relay = start_relay(config)
    written: list[bytes] = []

    def send(method: str, path: str, key: str | None, body: dict | None = None) -> None:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        response = raw_http.request(method, relay.url(path), headers=headers, json_body=body)
        written.append(response.body)
        written.extend(f"{name}: {value}".encode() for name, value in response.headers)

    chat = {"model": "chat-a", "messages": [{"role": "user", "content": "hi"}]}
    send("POST", "/v1/chat/completions", keys.main, chat)
    send("POST", "/v1/chat/completions", keys.main, {**chat, "stream": True})
    send("POST", "/v1/chat/completions", "rk-wrong-" + keys.main[-8:], chat)  # 401
    send("POST", "/v1/chat/completions", None, chat)  # 401
    send("POST", "/v1/chat/completions", keys.main, {**chat, "model": "secret-model"})  # 404
    for failing in ("bad-400", "bad-404", "bad-500", "chat-break"):
        send("POST", "/v1/chat/completions", keys.main, {**chat, "model": failing, "stream": failing == "chat-break"})
    send("GET", "/v1/models", keys.main)
    send("GET", "/readyz", None)
    connection = http.client.HTTPConnection("127.0.0.1", admin_port, timeout=10)
    for path in ("/metrics", "/readyz"):
        connection.request("GET", path)
        response = connection.getresponse()
        assert response.status == 200
        written.append(response.read())
    connection.close()

    relay.stop()
    written.append(relay.stdout_path.read_bytes())
    written.append(relay.stderr_path.read_bytes())
    everything = b"\n".join(written)
    assert b'"msg":"request"' in everything and b"relay_requests_total" in everything
    for secret in (keys.main, keys.other, UPSTREAM_API_KEY, keys.main[3:20]):
        assert secret.encode() not in everything, f"a secret leaked ({len(secret)} chars)"
    # The 401 message names the header's form ("Bearer <key>"), never a credential sent in it.
    assert b"Bearer rk-" not in everything and b"Bearer upstream" not in everything
