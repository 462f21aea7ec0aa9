"""SIGHUP reloads the config file (SPEC §1): a valid file is swapped in, an invalid one is not."""

from __future__ import annotations

import copy
import signal

import raw_http
from relay_configs import standard_config


def _model_ids(relay, key: str) -> list[str]:
    response = raw_http.request("GET", relay.url("/v1/models"), headers={"Authorization": f"Bearer {key}"})
    assert response.status == 200
    return [model["id"] for model in response.json()["data"]]


def test_sighup_swaps_in_a_valid_config_and_keeps_the_old_one_on_errors(stub, keys, start_relay):
    config = standard_config(stub.base_url, keys)
    relay = start_relay(config)
    assert "chat-b" not in _model_ids(relay, keys.other)

    added = copy.deepcopy(config)
    added["models"]["chat-b"] = {"backend": "stub", "upstream_model": "stub-chat-2"}
    relay.write_config(added)
    relay.signal(signal.SIGHUP)
    reloaded = relay.wait_for_record(lambda record: record.get("msg") == "config_reloaded")
    # The listen address comes from --host/--port, at start and on reload: not a change.
    assert "restart_required" not in reloaded
    assert "chat-b" in _model_ids(relay, keys.other)

    added["server"]["drain_delay_s"] = 3
    relay.write_config(added)
    relay.signal(signal.SIGHUP)
    reloaded = relay.wait_for_record(
        lambda record: record.get("msg") == "config_reloaded" and "restart_required" in record)
    assert reloaded["restart_required"] == ["server.drain_delay_s"]
    answer = raw_http.request(
        "POST", relay.url("/v1/chat/completions"), headers={"Authorization": f"Bearer {keys.other}"},
        json_body={"model": "chat-b", "messages": [{"role": "user", "content": "hi"}]},
    )
    assert answer.status == 200 and answer.json()["model"] == "chat-b"

    broken = copy.deepcopy(added)
    broken["models"]["chat-c"] = {"backend": "no-such-backend"}
    relay.write_config(broken)
    relay.signal(signal.SIGHUP)
    failed = relay.wait_for_record(lambda record: record.get("msg") == "reload_failed")
    assert any("models.chat-c.backend" in problem for problem in failed["problems"])
    assert "chat-b" in _model_ids(relay, keys.other)
    assert "chat-c" not in _model_ids(relay, keys.other)
    # No secret from the config reaches the log.
    assert keys.main not in "\n".join(relay.lines) and "upstream-secret" not in "\n".join(relay.lines)


def test_a_removed_key_is_refused_after_reload_while_its_stream_in_flight_finishes(stub, keys, start_relay):
    import http.client

    config = standard_config(stub.base_url, keys)
    relay = start_relay(config)
    connection = http.client.HTTPConnection("127.0.0.1", relay.port, timeout=30)
    connection.request(
        "POST", "/v1/chat/completions",
        body=b'{"model":"chat-a","stream":true,"messages":[{"role":"user","content":"one two three four"}]}',
        headers={"Authorization": f"Bearer {keys.main}", "Content-Type": "application/json",
                 "x-stub-chunk-delay-ms": "200"},
    )
    in_flight = connection.getresponse()
    assert in_flight.status == 200
    first = in_flight.read1()

    without_main = copy.deepcopy(config)
    without_main["api_keys"] = [entry for entry in config["api_keys"] if entry["name"] != "test-main"]
    relay.write_config(without_main)
    relay.signal(signal.SIGHUP)
    relay.wait_for_record(lambda record: record.get("msg") == "config_reloaded")

    refused = raw_http.request("GET", relay.url("/v1/models"), headers={"Authorization": f"Bearer {keys.main}"})
    assert refused.status == 401
    assert (first + in_flight.read()).rstrip().endswith(b"data: [DONE]")
    connection.close()


def _reload(relay, config) -> dict:
    """Writes `config`, sends SIGHUP, and returns the reload's log record."""
    seen = len([record for record in relay.records() if record.get("msg") == "config_reloaded"])
    relay.write_config(config)
    relay.signal(signal.SIGHUP)
    relay.wait_for_record(
        lambda record: len([r for r in relay.records() if r.get("msg") == "config_reloaded"]) > seen)
    return [record for record in relay.records() if record.get("msg") == "config_reloaded"][-1]


def test_server_keys_changed_by_reload_are_kept_as_they_were_and_named_for_a_restart(stub, keys, start_relay):
    import uuid

    config = standard_config(stub.base_url, keys)
    relay = start_relay(config)
    changed = copy.deepcopy(config)
    changed["server"].update(max_body_bytes=100, metrics_path="/other-metrics", trusted_proxies=["127.0.0.0/8"])
    changed["models"]["chat-b"] = {"backend": "stub", "upstream_model": "stub-chat-2"}
    reloaded = _reload(relay, changed)
    assert reloaded["restart_required"] == ["server.max_body_bytes", "server.metrics_path",
                                            "server.trusted_proxies"]
    # The rest of the file applies.
    assert "chat-b" in _model_ids(relay, keys.other)

    # Each server key keeps the value it started with, all of it.
    request_id = str(uuid.uuid4())
    body = {"model": "chat-a", "messages": [{"role": "user", "content": "word " * 100}]}
    answer = raw_http.request(
        "POST", relay.url("/v1/chat/completions"),
        headers={"Authorization": f"Bearer {keys.main}", "x-request-id": request_id,
                 "X-Forwarded-For": "203.0.113.7"},
        json_body=body,
    )
    assert answer.status == 200, answer.body
    assert relay.wait_for_access_line(request_id)["client_ip"] == "127.0.0.1"
    assert raw_http.request("GET", relay.url("/metrics")).status == 200
    assert raw_http.request("GET", relay.url("/other-metrics")).status == 404


def test_admin_port_added_by_reload_waits_for_a_restart_and_metrics_stay_on_the_main_port(
        stub, keys, start_relay):
    import socket

    from relay_process import free_port

    config = standard_config(stub.base_url, keys)
    relay = start_relay(config)
    admin_port = free_port()
    with_admin = copy.deepcopy(config)
    with_admin["server"]["admin_port"] = admin_port
    reloaded = _reload(relay, with_admin)
    assert reloaded["restart_required"] == ["server.admin_port"]

    metrics = raw_http.request("GET", relay.url("/metrics"))
    assert metrics.status == 200 and "relay_backend_up" in metrics.text
    ready = raw_http.request("GET", relay.url("/readyz"))
    assert ready.status == 200 and "backends" in ready.json()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", admin_port)) != 0
    assert not any(record.get("msg") == "admin listening" for record in relay.records())


def test_a_key_removed_by_reload_is_refused_on_a_connection_that_used_it(stub, keys, start_relay):
    # A connection remembers the key that last authenticated on it; a reload's new key list
    # must still decide the next request on that same kept-alive connection.
    import http.client
    import json

    config = standard_config(stub.base_url, keys)
    relay = start_relay(config)
    connection = http.client.HTTPConnection("127.0.0.1", relay.port, timeout=10)
    body = json.dumps({"model": "chat-a", "messages": [{"role": "user", "content": "hi"}]})

    def status(key: str) -> int:
        connection.request("POST", "/v1/chat/completions", body,
                           {"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        return response.status

    assert [status(keys.other), status(keys.other)] == [200, 200]
    assert status(keys.other[:-1] + ("x" if keys.other[-1] != "x" else "y")) == 401  # same length, one byte off
    assert [status(keys.main), status(keys.other)] == [200, 200]

    removed = copy.deepcopy(config)
    removed["api_keys"] = [entry for entry in removed["api_keys"] if entry["name"] != "test-other"]
    relay.write_config(removed)
    relay.signal(signal.SIGHUP)
    relay.wait_for_record(lambda record: record.get("msg") == "config_reloaded")
    assert status(keys.other) == 401
    assert status(keys.main) == 200
    connection.close()
