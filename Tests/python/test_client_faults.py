"""A client that leaves mid-stream (issue #10.4): the upstream call ends at once, the key's
max_parallel slot is free again, and the key is charged for what was produced, no more."""

from __future__ import annotations

import http.client
import json
import time
import uuid

import pytest

import raw_http
from relay_configs import standard_config
from relay_process import key_hash, new_key

TPM = 100_000
WORDS = " ".join(f"w{i}" for i in range(40))  # the stub answers with ~43 content events


@pytest.fixture
def limited(stub, keys, start_relay):
    """A relay with two keys limited to one request at a time: ``leaver`` and ``fresh`` (unused,
    so its headers show what one request reserves)."""
    leaver, fresh = new_key(), new_key()
    config = standard_config(stub.base_url, keys)
    limits = {"rpm": 1000, "tpm": TPM, "max_parallel": 1}
    config["api_keys"] += [
        {"name": "leaver", "hash": key_hash(leaver), "scopes": ["chat-a"], "limits": limits},
        {"name": "fresh", "hash": key_hash(fresh), "scopes": ["chat-a"], "limits": limits},
    ]
    return start_relay(config), leaver, fresh


def _start_stream(relay, key: str, request_id: str, chunk_delay_ms: int):
    connection = http.client.HTTPConnection("127.0.0.1", relay.port, timeout=30)
    body = {"model": "chat-a", "stream": True, "max_tokens": 100, "messages": [{"role": "user", "content": WORDS}]}
    connection.request("POST", "/v1/chat/completions", body=json.dumps(body).encode(),
                       headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json",
                                "x-request-id": request_id, "x-stub-chunk-delay-ms": str(chunk_delay_ms)})
    response = connection.getresponse()
    assert response.status == 200
    return connection, response


def _chat(relay, key: str, **extra):
    body = {"model": "chat-a", "max_tokens": 100, "messages": [{"role": "user", "content": WORDS}], **extra}
    return raw_http.request("POST", relay.url("/v1/chat/completions"), json_body=body,
                            headers={"Authorization": f"Bearer {key}"})


@pytest.mark.parametrize("chunk_delay_ms", [100, 3000], ids=["chatty", "thinking"])
def test_a_client_leaving_mid_stream_ends_the_upstream_call_frees_its_slot_and_pays_what_was_made(
        limited, stub, chunk_delay_ms):
    relay, leaver, fresh = limited
    request_id = str(uuid.uuid4())
    connection, response = _start_stream(relay, leaver, request_id, chunk_delay_ms)
    received = response.read1()
    assert received.startswith(b"data: ")
    if chunk_delay_ms < 1000:
        while received.count(b"\n\n") < 4:
            received += response.read1()
    # While the stream runs, its slot is taken: max_parallel 1 refuses a second request.
    busy = _chat(relay, leaver)
    assert busy.status == 429, busy.text

    # The upstream sees its connection closed (a real server would stop generating) within 1 s.
    _leave_and_see_the_upstream_closed(connection, stub, request_id)
    line = relay.wait_for_access_line(request_id)
    assert line["status"] == 200 and line["error"] == "client disconnected"
    produced = line["completion_tokens"]
    # Charged for what was produced before the client left: some content when it came fast,
    # none when the upstream was still thinking after its first (empty) event.
    assert (0 < produced < 43) if chunk_delay_ms < 1000 else produced == 0, line

    # The slot is free again: the next request of the same key is admitted.
    answer = _chat(relay, leaver)
    assert answer.status == 200, answer.text
    # And the key was charged exactly what the access line says was produced: compare with the
    # same request on a key with no history (its headers show the reservation alone).
    reference = _chat(relay, fresh)
    reserved = TPM - int(reference.header("x-ratelimit-remaining-tokens"))
    charged = line["prompt_tokens"] + produced
    assert int(answer.header("x-ratelimit-remaining-tokens")) == TPM - charged - reserved
    # Admitted: the stream and this one (the refused request took nothing).
    assert int(answer.header("x-ratelimit-remaining-requests")) == 1000 - 2


def _leave_and_see_the_upstream_closed(connection, stub, request_id: str) -> None:
    """Closes the client's connection; the stub must see its own closed less than 1 s later."""
    left_at = time.monotonic()
    connection.sock.close()
    connection.close()
    closed_at = _peer_close(stub, request_id, within_s=2.0)
    assert closed_at - left_at < 1.0, f"upstream closed {closed_at - left_at:.2f}s after the client left"


def _peer_close(stub, request_id: str, within_s: float) -> float:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        for rid, at in list(stub.peer_closes):
            if rid == request_id:
                return at
        time.sleep(0.01)
    raise AssertionError(f"the upstream never saw request {request_id}'s connection close")


def test_a_client_leaving_before_a_whole_answer_ends_the_upstream_call_and_pays_the_prompt(limited, stub):
    """A non-streamed answer the client no longer waits for: the upstream call ends at once, no
    other backend is tried for nobody, and the key is charged the prompt's estimate only (the
    backend read the prompt; nothing reached the client, and what it made is unknown)."""
    relay, leaver, fresh = limited
    request_id = str(uuid.uuid4())
    connection = http.client.HTTPConnection("127.0.0.1", relay.port, timeout=30)
    body = {"model": "chat-a", "max_tokens": 100, "messages": [{"role": "user", "content": WORDS}]}
    connection.request("POST", "/v1/chat/completions", body=json.dumps(body).encode(),
                       headers={"Authorization": f"Bearer {leaver}", "Content-Type": "application/json",
                                "x-request-id": request_id, "x-stub-delay-ms": "5000"})
    time.sleep(0.5)  # the upstream is working on it
    before = len(stub.api_requests())
    _leave_and_see_the_upstream_closed(connection, stub, request_id)
    line = relay.wait_for_access_line(request_id)
    assert line["status"] == 499 and line["error"] == "client disconnected", line
    assert line["attempts"] == 1 and len(stub.api_requests()) == before, "a target was tried again for nobody"

    # The slot is free and the prompt's estimate was charged: the next request sees that many
    # tokens fewer left than the same request on a key with no history.
    answer = _chat(relay, leaver)
    reference = _chat(relay, fresh)
    assert answer.status == 200 and reference.status == 200, answer.text
    prompt_estimate = (len(json.dumps(body["messages"])) + 3) // 4
    charged = int(reference.header("x-ratelimit-remaining-tokens")) - int(answer.header("x-ratelimit-remaining-tokens"))
    assert charged == prompt_estimate
