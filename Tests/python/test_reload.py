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
    assert reloaded["restart_required"] == ["server"]
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
